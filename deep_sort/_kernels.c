/*
 * deep_sort._kernels: compiled forms of the tracker's numeric leaf steps,
 * each with the same results as its Python form (which runs when this
 * module is not built; tests/core compares the two):
 *
 *   linear_sum_assignment(cost_matrix) -> (rows, cols)
 *       scipy.optimize.linear_sum_assignment: the shortest augmenting path
 *       method (Crouse, "On implementing 2D rectangular assignment
 *       algorithms", IEEE TAES 2016) with scipy's search order and
 *       tie-breaking, so it returns the same assignment, not merely one of
 *       equal cost.
 *   assign(cost_matrix, max_distance, track_indices, detection_indices)
 *       The solver step of linear_assignment.min_cost_matching: threshold,
 *       solve, split into matches and ordered unmatched lists.
 *   kalman_predict, kalman_update, gate
 *       KalmanFilter.predict, .update and .gate on the stacked states, with
 *       the numpy code's floating-point operations in the same order (the
 *       module is built without fused multiply-add).
 *
 * Per frame the tracker solves several tiny matrices and filters a few
 * dozen states; in Python each of these is a handful of numpy calls whose
 * overhead is far larger than the arithmetic.
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

/* ------------------------------------------------------------------ buffers */

/* A C-contiguous float64 buffer of `ndim` dimensions (writable if asked);
 * errors name it `what`. */
static int
get_float64(PyObject *object, Py_buffer *view, int ndim, int writable, const char *what)
{
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        return -1;
    }
    const char *format = view->format == NULL ? "" : view->format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') {
        format++; /* native byte order on the machines this builds for */
    }
    if (view->ndim != ndim || view->itemsize != (Py_ssize_t)sizeof(double) || strcmp(format, "d") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a %sC-contiguous %d-D float64 array", what,
                     writable ? "writable " : "", ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
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
    if (get_float64(arg, &view, 2, 0, "cost_matrix") < 0) {
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

/* ------------------------------------------------------------------ assign */

/* The index lists' elements, borrowed from `list` (a list of int). */
static int
check_index_list(PyObject *list, Py_ssize_t n, const char *name)
{
    if (!PyList_Check(list) || PyList_GET_SIZE(list) != n) {
        PyErr_Format(PyExc_ValueError, "%s must be a list matching the cost matrix", name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(assign_doc,
"assign(cost_matrix, max_distance, track_indices, detection_indices)\n"
"    -> (matches, unmatched_tracks, unmatched_detections)\n\n"
"The solver step of min_cost_matching: entries of cost_matrix (C-contiguous\n"
"float64, modified in place) above max_distance become max_distance + 1e-5;\n"
"the matrix is solved; assigned pairs above max_distance are rejected.\n"
"Unmatched tracks: unassigned rows in order, then rejected ones; unmatched\n"
"detections: unassigned columns in order, then rejected ones in row order.");

static PyObject *
py_assign(PyObject *self, PyObject *args)
{
    PyObject *matrix, *tracks, *detections, *result = NULL;
    double max_distance;
    if (!PyArg_ParseTuple(args, "OdOO:assign", &matrix, &max_distance, &tracks, &detections)) {
        return NULL;
    }
    Py_buffer view;
    if (get_float64(matrix, &view, 2, 1, "cost_matrix") < 0) {
        return NULL;
    }
    Py_ssize_t n_rows = view.shape[0], n_cols = view.shape[1];
    if (check_index_list(tracks, n_rows, "track_indices") < 0
        || check_index_list(detections, n_cols, "detection_indices") < 0) {
        goto done;
    }
    double *cost = (double *)view.buf;
    const double capped = max_distance + 1e-5;
    for (Py_ssize_t k = 0; k < n_rows * n_cols; k++) {
        if (cost[k] > max_distance) {
            cost[k] = capped;
        }
    }
    Py_ssize_t n_min = n_rows < n_cols ? n_rows : n_cols;
    Py_ssize_t *pairs = (Py_ssize_t *)malloc((size_t)(2 * n_min + 1) * sizeof(Py_ssize_t));
    char *taken = (char *)calloc((size_t)(n_rows + n_cols + 1), 1);
    if (pairs == NULL || taken == NULL) {
        free(pairs);
        free(taken);
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n = linear_sum_assignment_c(n_rows, n_cols, cost, pairs, pairs + n_min);
    if (n < 0) {
        free(pairs);
        free(taken);
        if (n == -3) {
            PyErr_NoMemory();
        } else {
            PyErr_SetString(PyExc_ValueError, n == -2 ? "matrix contains invalid numeric entries"
                                                      : "cost matrix is infeasible");
        }
        goto done;
    }
    PyObject *matches = PyList_New(0), *unmatched_tracks = PyList_New(0), *unmatched_detections = PyList_New(0);
    int failed = matches == NULL || unmatched_tracks == NULL || unmatched_detections == NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        taken[pairs[k]] = 1;
        taken[n_rows + pairs[n_min + k]] = 1;
    }
    for (Py_ssize_t i = 0; !failed && i < n_rows; i++) {
        failed = !taken[i] && PyList_Append(unmatched_tracks, PyList_GET_ITEM(tracks, i)) < 0;
    }
    for (Py_ssize_t j = 0; !failed && j < n_cols; j++) {
        failed = !taken[n_rows + j] && PyList_Append(unmatched_detections, PyList_GET_ITEM(detections, j)) < 0;
    }
    for (Py_ssize_t k = 0; !failed && k < n; k++) {
        PyObject *track = PyList_GET_ITEM(tracks, pairs[k]), *detection = PyList_GET_ITEM(detections, pairs[n_min + k]);
        if (cost[pairs[k] * n_cols + pairs[n_min + k]] > max_distance) {
            failed = PyList_Append(unmatched_tracks, track) < 0 || PyList_Append(unmatched_detections, detection) < 0;
        } else {
            PyObject *match = PyTuple_Pack(2, track, detection);
            failed = match == NULL || PyList_Append(matches, match) < 0;
            Py_XDECREF(match);
        }
    }
    free(pairs);
    free(taken);
    if (!failed) {
        result = PyTuple_Pack(3, matches, unmatched_tracks, unmatched_detections);
    }
    Py_XDECREF(matches);
    Py_XDECREF(unmatched_tracks);
    Py_XDECREF(unmatched_detections);
done:
    PyBuffer_Release(&view);
    return result;
}

/* ------------------------------------------------------------------ Kalman filter */

/* States as deep_sort/kalman_filter.py keeps them: mean (8, N), covariance
 * (2, 2, 4, N) per-axis blocks, track axis last. Every operation is the one
 * the numpy code does, in the same order; the module is built without
 * fused multiply-add, so the numbers are the same. */
#define MEAN(k, n) mean[(k) * n_tracks + (n)]
#define COV(a, b, k, n) covariance[(((a) * 2 + (b)) * 4 + (k)) * n_tracks + (n)]

typedef struct {
    Py_buffer mean_view, covariance_view;
    double *mean, *covariance;
    Py_ssize_t n_tracks;
} States;

static int
get_states(PyObject *mean_arg, PyObject *covariance_arg, States *states)
{
    if (get_float64(mean_arg, &states->mean_view, 2, 1, "mean") < 0) {
        return -1;
    }
    if (get_float64(covariance_arg, &states->covariance_view, 4, 1, "covariance") < 0) {
        PyBuffer_Release(&states->mean_view);
        return -1;
    }
    const Py_ssize_t *m = states->mean_view.shape, *c = states->covariance_view.shape;
    if (m[0] != 8 || c[0] != 2 || c[1] != 2 || c[2] != 4 || c[3] != m[1]) {
        PyErr_SetString(PyExc_ValueError, "states must be mean (8, N) and covariance (2, 2, 4, N)");
        PyBuffer_Release(&states->mean_view);
        PyBuffer_Release(&states->covariance_view);
        return -1;
    }
    states->mean = (double *)states->mean_view.buf;
    states->covariance = (double *)states->covariance_view.buf;
    states->n_tracks = m[1];
    return 0;
}

static void
release_states(States *states)
{
    PyBuffer_Release(&states->mean_view);
    PyBuffer_Release(&states->covariance_view);
}

/* Standard deviation weight * h + constant: per pixel of height, except
 * the aspect ratio (axis 2), which has a constant. */
static double
noise_std(double weight, double constant, int axis, double h)
{
    return axis == 2 ? 0.0 * h + constant : weight * h + 0.0;
}

PyDoc_STRVAR(kalman_predict_doc,
"kalman_predict(mean, covariance, std_weight_position, std_weight_velocity)\n\n"
"KalmanFilter.predict of all states, in place.");

static PyObject *
py_kalman_predict(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg;
    double p, v;
    States st;
    if (!PyArg_ParseTuple(args, "OOdd:kalman_predict", &mean_arg, &covariance_arg, &p, &v)
        || get_states(mean_arg, covariance_arg, &st) < 0) {
        return NULL;
    }
    double *mean = st.mean, *covariance = st.covariance;
    const Py_ssize_t n_tracks = st.n_tracks;
    for (Py_ssize_t n = 0; n < n_tracks; n++) {
        const double h = MEAN(3, n);
        for (int k = 0; k < 4; k++) {
            double q_position = noise_std(p, 1e-2, k, h), q_velocity = noise_std(v, 1e-5, k, h);
            double pp = COV(0, 0, k, n), pv = COV(0, 1, k, n), vp = COV(1, 0, k, n), vv = COV(1, 1, k, n);
            COV(0, 0, k, n) = ((pp + pv) + (vp + vv)) + q_position * q_position;
            COV(0, 1, k, n) = pv + vv;
            COV(1, 0, k, n) = vp + vv;
            COV(1, 1, k, n) = vv + q_velocity * q_velocity;
            MEAN(k, n) += MEAN(k + 4, n);
        }
    }
    release_states(&st);
    Py_RETURN_NONE;
}

/* Inverse square root of each axis' projected variance S_kk of state n. */
static void
inverse_sqrt_variances(const double *mean, const double *covariance, Py_ssize_t n_tracks, Py_ssize_t n,
                       double p, double s[4], double inv_sqrt[4])
{
    const double h = MEAN(3, n);
    for (int k = 0; k < 4; k++) {
        double r = noise_std(p, 1e-1, k, h);
        s[k] = COV(0, 0, k, n) + r * r;
        inv_sqrt[k] = 1.0 / sqrt(s[k]);
    }
}

PyDoc_STRVAR(kalman_update_doc,
"kalman_update(mean, covariance, measurements, std_weight_position)\n\n"
"KalmanFilter.update of all states, in place; measurements (N, 4) xyah.");

static PyObject *
py_kalman_update(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg, *measurement_arg;
    double p;
    States st;
    Py_buffer z_view;
    if (!PyArg_ParseTuple(args, "OOOd:kalman_update", &mean_arg, &covariance_arg, &measurement_arg, &p)
        || get_states(mean_arg, covariance_arg, &st) < 0) {
        return NULL;
    }
    if (get_float64(measurement_arg, &z_view, 2, 0, "measurements") < 0) {
        release_states(&st);
        return NULL;
    }
    if (z_view.shape[0] != st.n_tracks || z_view.shape[1] != 4) {
        PyErr_SetString(PyExc_ValueError, "measurements must be (N, 4)");
        PyBuffer_Release(&z_view);
        release_states(&st);
        return NULL;
    }
    double *mean = st.mean, *covariance = st.covariance;
    const double *z = (const double *)z_view.buf;
    const Py_ssize_t n_tracks = st.n_tracks;
    for (Py_ssize_t n = 0; n < n_tracks; n++) {
        double s[4], inv_sqrt[4];
        inverse_sqrt_variances(mean, covariance, n_tracks, n, p, s, inv_sqrt);
        for (int k = 0; k < 4; k++) {
            double gain[2] = {COV(0, 0, k, n) * inv_sqrt[k] * inv_sqrt[k], COV(1, 0, k, n) * inv_sqrt[k] * inv_sqrt[k]};
            double innovation = z[n * 4 + k] - MEAN(k, n);
            MEAN(k, n) = MEAN(k, n) + innovation * gain[0];
            MEAN(k + 4, n) = MEAN(k + 4, n) + innovation * gain[1];
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < 2; b++) {
                    COV(a, b, k, n) = COV(a, b, k, n) - gain[a] * (s[k] * gain[b]);
                }
            }
        }
    }
    PyBuffer_Release(&z_view);
    release_states(&st);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(gate_doc,
"gate(mean, covariance, measurements, std_weight_position, threshold, rows, cols) -> count\n\n"
"The (state, measurement) pairs whose squared Mahalanobis distance\n"
"(KalmanFilter.gating_distance) is not above threshold, row by row, written\n"
"to rows and cols (C-contiguous intp arrays of at least N * M entries).");

static PyObject *
py_gate(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg, *measurement_arg, *rows_arg, *cols_arg, *result = NULL;
    double p, threshold;
    States st;
    Py_buffer z_view, rows_view, cols_view;
    if (!PyArg_ParseTuple(args, "OOOddOO:gate", &mean_arg, &covariance_arg, &measurement_arg, &p, &threshold,
                          &rows_arg, &cols_arg)
        || get_states(mean_arg, covariance_arg, &st) < 0) {
        return NULL;
    }
    if (get_float64(measurement_arg, &z_view, 2, 0, "measurements") < 0) {
        release_states(&st);
        return NULL;
    }
    if (PyObject_GetBuffer(rows_arg, &rows_view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        goto release_z;
    }
    if (PyObject_GetBuffer(cols_arg, &cols_view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        goto release_rows;
    }
    const Py_ssize_t n_tracks = st.n_tracks, n_measurements = z_view.shape[0];
    if (z_view.shape[1] != 4 || rows_view.itemsize != (Py_ssize_t)sizeof(Py_ssize_t)
        || cols_view.itemsize != (Py_ssize_t)sizeof(Py_ssize_t)
        || rows_view.len < n_tracks * n_measurements * rows_view.itemsize
        || cols_view.len < n_tracks * n_measurements * cols_view.itemsize) {
        PyErr_SetString(PyExc_ValueError, "measurements must be (M, 4), rows and cols intp arrays of N * M entries");
        goto release_cols;
    }
    const double *mean = st.mean, *covariance = st.covariance, *z = (const double *)z_view.buf;
    Py_ssize_t *rows = (Py_ssize_t *)rows_view.buf, *cols = (Py_ssize_t *)cols_view.buf, count = 0;
    for (Py_ssize_t n = 0; n < n_tracks; n++) {
        double s[4], inv_sqrt[4];
        inverse_sqrt_variances(mean, covariance, n_tracks, n, p, s, inv_sqrt);
        for (Py_ssize_t j = 0; j < n_measurements; j++) {
            double distance = 0.0;
            for (int k = 0; k < 4; k++) {
                double d = (z[j * 4 + k] - MEAN(k, n)) * inv_sqrt[k];
                distance = k ? distance + d * d : d * d;
            }
            if (!(distance > threshold)) {
                rows[count] = n;
                cols[count] = j;
                count++;
            }
        }
    }
    result = PyLong_FromSsize_t(count);
release_cols:
    PyBuffer_Release(&cols_view);
release_rows:
    PyBuffer_Release(&rows_view);
release_z:
    PyBuffer_Release(&z_view);
    release_states(&st);
    return result;
}

static PyMethodDef methods[] = {
    {"linear_sum_assignment", py_linear_sum_assignment, METH_O, lsa_doc},
    {"assign", py_assign, METH_VARARGS, assign_doc},
    {"kalman_predict", py_kalman_predict, METH_VARARGS, kalman_predict_doc},
    {"kalman_update", py_kalman_update, METH_VARARGS, kalman_update_doc},
    {"gate", py_gate, METH_VARARGS, gate_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "deep_sort._kernels",
    "Compiled leaf steps of the tracker (see deep_sort/compiled.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
