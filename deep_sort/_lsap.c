/*
 * deep_sort._lsap: the rectangular linear assignment solver of
 * scipy.optimize.linear_sum_assignment, compiled for the tracker.
 *
 * The algorithm is the shortest augmenting path method (Crouse, "On
 * implementing 2D rectangular assignment algorithms", IEEE TAES 2016) with
 * scipy's search order and tie-breaking, so it returns the same assignment,
 * not merely one of equal cost (tests/core/test_lsap.py compares the two on
 * tie-heavy matrices). The tracker solves many tiny matrices per frame;
 * this spares it scipy.optimize's import and per-call conversions.
 * deep_sort/linear_assignment.py uses scipy's solver when this is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_ssize_t n_rows, n_cols; /* after transposing: n_rows <= n_cols */
    double *cost;              /* n_rows x n_cols, row-major */
    double *u, *v, *path_cost;
    Py_ssize_t *path, *col4row, *row4col, *remaining;
    char *row_visited, *col_visited;
} Solver;

/* One shortest augmenting path from row `start`; returns its sink column, or
 * -1 if every remaining column has infinite reduced cost (infeasible). */
static Py_ssize_t
augmenting_path(Solver *s, Py_ssize_t start, double *min_value_out)
{
    const Py_ssize_t n_cols = s->n_cols;
    Py_ssize_t n_remaining = n_cols, i = start, sink = -1;
    double min_value = 0.0;

    /* Columns are scanned from the last to the first, and a scanned column
     * is replaced by the last remaining one: this order decides ties. */
    for (Py_ssize_t it = 0; it < n_cols; it++) {
        s->remaining[it] = n_cols - it - 1;
        s->path_cost[it] = INFINITY;
    }
    memset(s->row_visited, 0, (size_t)s->n_rows);
    memset(s->col_visited, 0, (size_t)n_cols);

    while (sink == -1) {
        Py_ssize_t index = -1;
        double lowest = INFINITY;
        s->row_visited[i] = 1;
        const double *cost_row = s->cost + i * n_cols;
        for (Py_ssize_t it = 0; it < n_remaining; it++) {
            Py_ssize_t j = s->remaining[it];
            double reduced = min_value + cost_row[j] - s->u[i] - s->v[j];
            if (reduced < s->path_cost[j]) {
                s->path[j] = i;
                s->path_cost[j] = reduced;
            }
            /* Among equal path costs an unassigned column wins (it ends the search). */
            if (s->path_cost[j] < lowest || (s->path_cost[j] == lowest && s->row4col[j] == -1)) {
                lowest = s->path_cost[j];
                index = it;
            }
        }
        min_value = lowest;
        if (min_value == INFINITY) {
            return -1;
        }
        Py_ssize_t j = s->remaining[index];
        if (s->row4col[j] == -1) {
            sink = j;
        } else {
            i = s->row4col[j];
        }
        s->col_visited[j] = 1;
        s->remaining[index] = s->remaining[--n_remaining];
    }
    *min_value_out = min_value;
    return sink;
}

/* Fill s->col4row for every row; 0 on success, -1 infeasible. */
static int
solve(Solver *s)
{
    for (Py_ssize_t i = 0; i < s->n_rows; i++) {
        s->u[i] = 0.0;
        s->col4row[i] = -1;
    }
    for (Py_ssize_t j = 0; j < s->n_cols; j++) {
        s->v[j] = 0.0;
        s->path[j] = -1;
        s->row4col[j] = -1;
    }
    for (Py_ssize_t current = 0; current < s->n_rows; current++) {
        double min_value;
        Py_ssize_t sink = augmenting_path(s, current, &min_value);
        if (sink < 0) {
            return -1;
        }
        /* Update the dual variables. */
        s->u[current] += min_value;
        for (Py_ssize_t i = 0; i < s->n_rows; i++) {
            if (s->row_visited[i] && i != current) {
                s->u[i] += min_value - s->path_cost[s->col4row[i]];
            }
        }
        for (Py_ssize_t j = 0; j < s->n_cols; j++) {
            if (s->col_visited[j]) {
                s->v[j] -= min_value - s->path_cost[j];
            }
        }
        /* Augment along the path back to the current row. */
        Py_ssize_t j = sink;
        for (;;) {
            Py_ssize_t i = s->path[j];
            s->row4col[j] = i;
            Py_ssize_t previous = s->col4row[i];
            s->col4row[i] = j;
            j = previous;
            if (i == current) {
                break;
            }
        }
    }
    return 0;
}

static int
compare_rows(const void *a, const void *b)
{
    Py_ssize_t x = ((const Py_ssize_t *)a)[0], y = ((const Py_ssize_t *)b)[0];
    return (x > y) - (x < y);
}

/* Solve the (n_rows x n_cols) row-major `cost`. On success write the
 * min(n_rows, n_cols) assigned pairs, sorted by row, to rows_out/cols_out
 * and return their number; -1: infeasible, -2: NaN or -inf entry,
 * -3: out of memory. */
static Py_ssize_t
linear_sum_assignment_c(Py_ssize_t n_rows, Py_ssize_t n_cols, const double *cost,
                        Py_ssize_t *rows_out, Py_ssize_t *cols_out)
{
    if (n_rows == 0 || n_cols == 0) {
        return 0;
    }
    for (Py_ssize_t k = 0; k < n_rows * n_cols; k++) {
        if (isnan(cost[k]) || cost[k] == -INFINITY) {
            return -2;
        }
    }
    const int transpose = n_cols < n_rows;
    Solver s;
    s.n_rows = transpose ? n_cols : n_rows;
    s.n_cols = transpose ? n_rows : n_cols;
    const Py_ssize_t nr = s.n_rows, nc = s.n_cols;
    void *block = malloc((size_t)(nr * nc + nr + 2 * nc) * sizeof(double)
                         + (size_t)(3 * nc + nr) * sizeof(Py_ssize_t) + (size_t)(nr + nc));
    if (block == NULL) {
        return -3;
    }
    s.cost = (double *)block;
    s.u = s.cost + nr * nc;
    s.v = s.u + nr;
    s.path_cost = s.v + nc;
    s.path = (Py_ssize_t *)(s.path_cost + nc);
    s.col4row = s.path + nc;
    s.row4col = s.col4row + nr;
    s.remaining = s.row4col + nc;
    s.row_visited = (char *)(s.remaining + nc);
    s.col_visited = s.row_visited + nr;
    if (transpose) {
        for (Py_ssize_t i = 0; i < n_rows; i++) {
            for (Py_ssize_t j = 0; j < n_cols; j++) {
                s.cost[j * nc + i] = cost[i * n_cols + j];
            }
        }
    } else {
        memcpy(s.cost, cost, (size_t)(nr * nc) * sizeof(double));
    }
    if (solve(&s) < 0) {
        free(block);
        return -1;
    }
    if (transpose) {
        /* Rows of the transposed problem are the columns: sort by their row. */
        Py_ssize_t *pairs = (Py_ssize_t *)malloc((size_t)(2 * nr) * sizeof(Py_ssize_t));
        if (pairs == NULL) {
            free(block);
            return -3;
        }
        for (Py_ssize_t i = 0; i < nr; i++) {
            pairs[2 * i] = s.col4row[i];
            pairs[2 * i + 1] = i;
        }
        qsort(pairs, (size_t)nr, 2 * sizeof(Py_ssize_t), compare_rows);
        for (Py_ssize_t i = 0; i < nr; i++) {
            rows_out[i] = pairs[2 * i];
            cols_out[i] = pairs[2 * i + 1];
        }
        free(pairs);
    } else {
        for (Py_ssize_t i = 0; i < nr; i++) {
            rows_out[i] = i;
            cols_out[i] = s.col4row[i];
        }
    }
    free(block);
    return nr;
}

PyDoc_STRVAR(lsa_doc,
"linear_sum_assignment(cost_matrix) -> (rows, cols)\n\n"
"scipy.optimize.linear_sum_assignment (minimisation) of a C-contiguous\n"
"float64 matrix: the same pairs, sorted by row, as two lists of int.\n"
"Raises ValueError for NaN or -inf entries or an infeasible matrix.");

static PyObject *
py_linear_sum_assignment(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    const char *format = view.format == NULL ? "" : view.format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') {
        format++; /* native byte order on the machines this builds for */
    }
    if (view.ndim != 2 || view.itemsize != (Py_ssize_t)sizeof(double) || strcmp(format, "d") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "cost_matrix must be a C-contiguous 2-D float64 array");
        return NULL;
    }
    Py_ssize_t n_rows = view.shape[0], n_cols = view.shape[1];
    Py_ssize_t n_min = n_rows < n_cols ? n_rows : n_cols;
    Py_ssize_t *pairs = (Py_ssize_t *)malloc((size_t)(2 * n_min + 1) * sizeof(Py_ssize_t));
    if (pairs == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    Py_ssize_t n = linear_sum_assignment_c(n_rows, n_cols, (const double *)view.buf, pairs, pairs + n_min);
    PyBuffer_Release(&view);
    if (n < 0) {
        free(pairs);
        if (n == -3) {
            return PyErr_NoMemory();
        }
        PyErr_SetString(PyExc_ValueError, n == -2 ? "matrix contains invalid numeric entries"
                                                  : "cost matrix is infeasible");
        return NULL;
    }
    PyObject *rows = PyList_New(n), *cols = PyList_New(n);
    for (Py_ssize_t k = 0; rows != NULL && cols != NULL && k < n; k++) {
        PyObject *r = PyLong_FromSsize_t(pairs[k]), *c = PyLong_FromSsize_t(pairs[n_min + k]);
        if (r == NULL || c == NULL) {
            Py_XDECREF(r);
            Py_XDECREF(c);
            Py_CLEAR(rows);
            break;
        }
        PyList_SET_ITEM(rows, k, r);
        PyList_SET_ITEM(cols, k, c);
    }
    free(pairs);
    if (rows == NULL || cols == NULL) {
        Py_XDECREF(rows);
        Py_XDECREF(cols);
        return NULL;
    }
    return Py_BuildValue("(NN)", rows, cols);
}

static PyMethodDef methods[] = {
    {"linear_sum_assignment", py_linear_sum_assignment, METH_O, lsa_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "deep_sort._lsap",
    "scipy.optimize.linear_sum_assignment, compiled (see deep_sort/linear_assignment.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__lsap(void)
{
    return PyModule_Create(&module);
}
