/*
 * Compiled form of the tracker's per-frame steps (SPEC.md sections 4-5).
 *
 * deep_sort._speedups gives the same results as the Python code it stands
 * in for, without a Python-level loop or a numpy call per track, level or
 * matrix entry (deep_sort/compiled.py loads it; tests/core/test_speedups.py
 * compares every function with its Python counterpart):
 *
 *   linear_sum_assignment(cost_matrix) -> (rows, cols)
 *       The shortest-augmenting-path solver scipy.optimize.linear_sum_assignment
 *       uses (Crouse, "On implementing 2D rectangular assignment algorithms",
 *       IEEE TAES 2016), with the same search order and tie-breaking, so it
 *       returns the same assignment, not merely one of equal cost.
 *   assign(cost_matrix, max_distance, track_indices, detection_indices)
 *       linear_assignment.assign.
 *   matching_cascade(cost_matrix, level_rows, row_tracks, max_distance)
 *       The cascade levels of Tracker._matching_cascade on the gated cost
 *       matrix of all confirmed tracks x detections.
 *   gate(mean, covariance, columns, measurements, std_weight_position, threshold)
 *       The track x detection pairs inside the Kalman gate, with the
 *       operations of KalmanFilter.gating_distance_stacked.
 *   iou_cost(mean, columns, time_since_update, detection_tlwh, detection_indices, out, infty_cost)
 *       iou_matching.iou_cost_matrix of predicted track boxes and detections.
 *   kalman_predict(mean, covariance, std_weight_position, std_weight_velocity)
 *   kalman_update(mean, covariance, measurements, std_weight_position)
 *       KalmanFilter.predict_stacked / update_stacked, in place.
 *   set_float32_products(sgemv_address, sdot_address, ilp64)
 *   matrix_vector(samples, queries, query_index, out)
 *   cosine_pair_distances(samples, queries, query_indices, out)
 *       float32 products through numpy's own OpenBLAS functions, called as
 *       ndarray.dot calls them (deep_sort/compiled.py checks the bits before
 *       using them), and FeatureGallery.pair_distances for the cosine metric.
 *
 * The assignment functions return None when a cost matrix holds NaN (or
 * -inf), for the caller to take the Python path, which raises scipy's error
 * as the published code does; the Kalman functions return None (update:
 * before writing anything) for covariances that couple two axes, which the
 * general Python path handles.
 *
 * Arithmetic is plain IEEE double in the order the numpy code uses; the
 * extension is built with -ffp-contract=off so that no multiply-add is fused.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ solver */

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

/* ------------------------------------------------------------------ helpers */

/* A C-contiguous buffer of `ndim` dimensions holding C type `code` ('d':
 * double, 'f': float), writable if asked; errors name it `what`. */
static int
get_array(PyObject *object, Py_buffer *view, int ndim, int writable, char code, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0) {
        return -1;
    }
    const char *format = view->format;
    if (format != NULL && (format[0] == '<' || format[0] == '=')) {
        format++; /* native little-endian on the machines this builds for */
    }
    Py_ssize_t itemsize = code == 'd' ? (Py_ssize_t)sizeof(double) : (Py_ssize_t)sizeof(float);
    if (view->ndim != ndim || view->itemsize != itemsize || format == NULL || format[0] != code
        || format[1] != '\0') {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous %d-D %s array", what, ndim,
                     code == 'd' ? "float64" : "float32");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int
get_float64(PyObject *object, Py_buffer *view, int ndim, int writable, const char *what)
{
    return get_array(object, view, ndim, writable, 'd', what);
}

static int
get_float32(PyObject *object, Py_buffer *view, int ndim, int writable, const char *what)
{
    return get_array(object, view, ndim, writable, 'f', what);
}

static int
get_matrix(PyObject *object, Py_buffer *view, int writable)
{
    return get_float64(object, view, 2, writable, "cost_matrix");
}

static PyObject *
solver_error(Py_ssize_t status)
{
    if (status == -1) {
        PyErr_SetString(PyExc_ValueError, "cost matrix is infeasible");
    } else if (status == -3) {
        PyErr_NoMemory();
    }
    return NULL;
}

/* The outcome of one solved matrix, in the terms of
 * linear_assignment._split_assignment: matched (row, col) positions, and
 * the unmatched rows/columns (unassigned in order, then those of rejected
 * pairs in row order). */
typedef struct {
    Py_ssize_t n_matches, n_unmatched_rows, n_unmatched_cols;
    Py_ssize_t *match_rows, *match_cols, *unmatched_rows, *unmatched_cols;
    Py_ssize_t *scratch; /* 2 * min(n_rows, n_cols) */
    char *taken;         /* max(n_rows, n_cols) */
} Outcome;

static int
outcome_alloc(Outcome *o, Py_ssize_t n_rows, Py_ssize_t n_cols)
{
    Py_ssize_t n_min = n_rows < n_cols ? n_rows : n_cols, n_max = n_rows < n_cols ? n_cols : n_rows;
    o->match_rows = (Py_ssize_t *)malloc((size_t)(4 * n_min + n_rows + n_cols + 1) * sizeof(Py_ssize_t)
                                         + (size_t)n_max + 1);
    if (o->match_rows == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    o->match_cols = o->match_rows + n_min;
    o->scratch = o->match_cols + n_min;
    o->unmatched_rows = o->scratch + 2 * n_min;
    o->unmatched_cols = o->unmatched_rows + n_rows;
    o->taken = (char *)(o->unmatched_cols + n_cols + 1);
    return 0;
}

/* Threshold `cost` (n_rows x n_cols, modified in place: entries above
 * max_distance become max_distance + 1e-5), solve it, split the result.
 * Returns 0, or a solver status (< 0). */
static Py_ssize_t
assign_positions(double *cost, Py_ssize_t n_rows, Py_ssize_t n_cols, double max_distance, Outcome *o)
{
    const double capped = max_distance + 1e-5;
    for (Py_ssize_t k = 0; k < n_rows * n_cols; k++) {
        if (cost[k] > max_distance) {
            cost[k] = capped;
        }
    }
    Py_ssize_t *rows = o->scratch, *cols = o->scratch + (n_rows < n_cols ? n_rows : n_cols);
    Py_ssize_t n_assigned = linear_sum_assignment_c(n_rows, n_cols, cost, rows, cols);
    if (n_assigned < 0) {
        return n_assigned;
    }
    o->n_matches = 0;
    o->n_unmatched_rows = 0;
    o->n_unmatched_cols = 0;
    memset(o->taken, 0, (size_t)n_cols);
    for (Py_ssize_t k = 0; k < n_assigned; k++) {
        o->taken[cols[k]] = 1;
    }
    for (Py_ssize_t j = 0; j < n_cols; j++) {
        if (!o->taken[j]) {
            o->unmatched_cols[o->n_unmatched_cols++] = j;
        }
    }
    memset(o->taken, 0, (size_t)n_rows);
    for (Py_ssize_t k = 0; k < n_assigned; k++) {
        o->taken[rows[k]] = 1;
    }
    for (Py_ssize_t i = 0; i < n_rows; i++) {
        if (!o->taken[i]) {
            o->unmatched_rows[o->n_unmatched_rows++] = i;
        }
    }
    for (Py_ssize_t k = 0; k < n_assigned; k++) {
        if (cost[rows[k] * n_cols + cols[k]] > max_distance) {
            o->unmatched_rows[o->n_unmatched_rows++] = rows[k];
            o->unmatched_cols[o->n_unmatched_cols++] = cols[k];
        } else {
            o->match_rows[o->n_matches] = rows[k];
            o->match_cols[o->n_matches] = cols[k];
            o->n_matches++;
        }
    }
    return 0;
}

/* A list of int objects as a new reference to a list (any sequence accepted). */
static PyObject *
as_int_list(PyObject *sequence, const char *name)
{
    PyObject *list = PySequence_List(sequence);
    if (list == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t k = 0; k < n; k++) {
        if (!PyLong_Check(PyList_GET_ITEM(list, k))) {
            PyErr_Format(PyExc_TypeError, "%s must hold int", name);
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

static PyObject *
pair(PyObject *a, PyObject *b)
{
    return PyTuple_Pack(2, a, b);
}

/* ------------------------------------------------------------------ module functions */

PyDoc_STRVAR(lsa_doc,
"linear_sum_assignment(cost_matrix) -> (rows, cols)\n\n"
"scipy.optimize.linear_sum_assignment (minimisation) of a C-contiguous\n"
"float64 matrix: the same pairs, sorted by row, as two lists of int.\n"
"Raises ValueError for NaN or -inf entries or an infeasible matrix.");

static PyObject *
py_linear_sum_assignment(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (get_matrix(arg, &view, 0) < 0) {
        return NULL;
    }
    Py_ssize_t n_rows = view.shape[0], n_cols = view.shape[1];
    Py_ssize_t n_min = n_rows < n_cols ? n_rows : n_cols;
    Py_ssize_t *rows = (Py_ssize_t *)malloc((size_t)(2 * n_min + 1) * sizeof(Py_ssize_t));
    if (rows == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    Py_ssize_t n = linear_sum_assignment_c(n_rows, n_cols, (const double *)view.buf, rows, rows + n_min);
    PyBuffer_Release(&view);
    if (n < 0) {
        free(rows);
        if (n == -2) {
            PyErr_SetString(PyExc_ValueError, "matrix contains invalid numeric entries");
            return NULL;
        }
        return solver_error(n);
    }
    PyObject *row_list = PyList_New(n), *col_list = PyList_New(n);
    if (row_list == NULL || col_list == NULL) {
        goto fail;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *r = PyLong_FromSsize_t(rows[k]), *c = PyLong_FromSsize_t(rows[n_min + k]);
        if (r == NULL || c == NULL) {
            Py_XDECREF(r);
            Py_XDECREF(c);
            goto fail;
        }
        PyList_SET_ITEM(row_list, k, r);
        PyList_SET_ITEM(col_list, k, c);
    }
    free(rows);
    return Py_BuildValue("(NN)", row_list, col_list);
fail:
    free(rows);
    Py_XDECREF(row_list);
    Py_XDECREF(col_list);
    return NULL;
}

PyDoc_STRVAR(assign_doc,
"assign(cost_matrix, max_distance, track_indices, detection_indices)\n"
"    -> (matches, unmatched_tracks, unmatched_detections) or None\n\n"
"linear_assignment.assign: cost_matrix (C-contiguous float64, rows\n"
"track_indices, columns detection_indices, both non-empty) is thresholded\n"
"in place and solved. None if it holds NaN or -inf.");

static PyObject *
py_assign(PyObject *self, PyObject *args)
{
    PyObject *matrix, *track_arg, *detection_arg;
    double max_distance;
    if (!PyArg_ParseTuple(args, "OdOO:assign", &matrix, &max_distance, &track_arg, &detection_arg)) {
        return NULL;
    }
    Py_buffer view;
    if (get_matrix(matrix, &view, 1) < 0) {
        return NULL;
    }
    PyObject *tracks = NULL, *detections = NULL, *matches = NULL, *unmatched_tracks = NULL,
             *unmatched_detections = NULL, *result = NULL;
    Outcome o = {0};
    Py_ssize_t n_rows = view.shape[0], n_cols = view.shape[1];
    tracks = as_int_list(track_arg, "track_indices");
    detections = tracks == NULL ? NULL : as_int_list(detection_arg, "detection_indices");
    if (detections == NULL) {
        goto done;
    }
    if (PyList_GET_SIZE(tracks) != n_rows || PyList_GET_SIZE(detections) != n_cols) {
        PyErr_SetString(PyExc_ValueError, "cost_matrix shape does not match the index lists");
        goto done;
    }
    if (outcome_alloc(&o, n_rows, n_cols) < 0) {
        goto done;
    }
    Py_ssize_t status = assign_positions((double *)view.buf, n_rows, n_cols, max_distance, &o);
    if (status == -2) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (status < 0) {
        solver_error(status);
        goto done;
    }
    matches = PyList_New(o.n_matches);
    unmatched_tracks = PyList_New(o.n_unmatched_rows);
    unmatched_detections = PyList_New(o.n_unmatched_cols);
    if (matches == NULL || unmatched_tracks == NULL || unmatched_detections == NULL) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < o.n_matches; k++) {
        PyObject *match = pair(PyList_GET_ITEM(tracks, o.match_rows[k]),
                               PyList_GET_ITEM(detections, o.match_cols[k]));
        if (match == NULL) {
            goto done;
        }
        PyList_SET_ITEM(matches, k, match);
    }
    for (Py_ssize_t k = 0; k < o.n_unmatched_rows; k++) {
        PyList_SET_ITEM(unmatched_tracks, k, Py_NewRef(PyList_GET_ITEM(tracks, o.unmatched_rows[k])));
    }
    for (Py_ssize_t k = 0; k < o.n_unmatched_cols; k++) {
        PyList_SET_ITEM(unmatched_detections, k,
                        Py_NewRef(PyList_GET_ITEM(detections, o.unmatched_cols[k])));
    }
    result = PyTuple_Pack(3, matches, unmatched_tracks, unmatched_detections);
done:
    free(o.match_rows);
    Py_XDECREF(matches);
    Py_XDECREF(unmatched_tracks);
    Py_XDECREF(unmatched_detections);
    Py_XDECREF(tracks);
    Py_XDECREF(detections);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(cascade_doc,
"matching_cascade(cost_matrix, level_rows, row_tracks, max_distance)\n"
"    -> (matches, unmatched_detections) or None\n\n"
"The levels of the matching cascade. cost_matrix (C-contiguous float64,\n"
"not modified): row r is confirmed track row_tracks[r], column j detection\n"
"j, entries gated out already INFTY_COST. level_rows: the rows of each\n"
"level that has tracks, levels in increasing order. Each level solves its\n"
"rows x the still unmatched detections as linear_assignment.assign does;\n"
"the loop stops when no detection is left. matches: (track index,\n"
"detection index), level by level; unmatched_detections in the order the\n"
"last level left them. None if a level's matrix holds NaN or -inf.");

static PyObject *
py_matching_cascade(PyObject *self, PyObject *args)
{
    PyObject *matrix, *level_arg, *row_tracks_arg;
    double max_distance;
    if (!PyArg_ParseTuple(args, "OOOd:matching_cascade", &matrix, &level_arg, &row_tracks_arg,
                          &max_distance)) {
        return NULL;
    }
    Py_buffer view;
    if (get_matrix(matrix, &view, 0) < 0) {
        return NULL;
    }
    const double *full = (const double *)view.buf;
    Py_ssize_t n_all_rows = view.shape[0], n_detections = view.shape[1];
    PyObject *levels = NULL, *row_tracks = NULL, *matches = NULL, *result = NULL;
    Py_ssize_t *detections = NULL, *next_detections = NULL, *level = NULL;
    double *sub = NULL;
    int saw_invalid = 0;
    Outcome o = {0};

    levels = PySequence_Fast(level_arg, "level_rows must be a sequence");
    row_tracks = levels == NULL ? NULL : as_int_list(row_tracks_arg, "row_tracks");
    if (row_tracks == NULL) {
        goto done;
    }
    if (PyList_GET_SIZE(row_tracks) != n_all_rows) {
        PyErr_SetString(PyExc_ValueError, "row_tracks must have one entry per cost_matrix row");
        goto done;
    }
    matches = PyList_New(0);
    detections = (Py_ssize_t *)malloc((size_t)(2 * n_detections + 2) * sizeof(Py_ssize_t));
    next_detections = detections == NULL ? NULL : detections + n_detections + 1;
    level = (Py_ssize_t *)malloc((size_t)(n_all_rows + 1) * sizeof(Py_ssize_t));
    sub = (double *)malloc((size_t)(n_all_rows * n_detections + 1) * sizeof(double));
    if (matches == NULL || detections == NULL || level == NULL || sub == NULL
        || outcome_alloc(&o, n_all_rows, n_detections) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        goto done;
    }
    Py_ssize_t n_unmatched = n_detections;
    for (Py_ssize_t j = 0; j < n_detections; j++) {
        detections[j] = j;
    }
    Py_ssize_t n_levels = PySequence_Fast_GET_SIZE(levels);
    for (Py_ssize_t l = 0; l < n_levels && n_unmatched > 0; l++) {
        PyObject *rows_object = PySequence_Fast(PySequence_Fast_GET_ITEM(levels, l),
                                                "level_rows must hold sequences of int");
        if (rows_object == NULL) {
            goto done;
        }
        Py_ssize_t n_rows = PySequence_Fast_GET_SIZE(rows_object);
        int bad = n_rows == 0 || n_rows > n_all_rows;
        for (Py_ssize_t i = 0; i < n_rows && !bad; i++) {
            level[i] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(rows_object, i));
            bad = level[i] < 0 || level[i] >= n_all_rows;
        }
        Py_DECREF(rows_object);
        if (bad) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "level_rows must hold non-empty lists of cost_matrix rows");
            }
            goto done;
        }
        for (Py_ssize_t i = 0; i < n_rows; i++) {
            const double *source = full + level[i] * n_detections;
            double *target = sub + i * n_unmatched;
            for (Py_ssize_t j = 0; j < n_unmatched; j++) {
                target[j] = source[detections[j]];
            }
        }
        Py_ssize_t status = assign_positions(sub, n_rows, n_unmatched, max_distance, &o);
        if (status == -2) {
            saw_invalid = 1;
            break;
        }
        if (status < 0) {
            solver_error(status);
            goto done;
        }
        for (Py_ssize_t k = 0; k < o.n_matches; k++) {
            PyObject *detection = PyLong_FromSsize_t(detections[o.match_cols[k]]);
            PyObject *match = detection == NULL ? NULL
                : pair(PyList_GET_ITEM(row_tracks, level[o.match_rows[k]]), detection);
            Py_XDECREF(detection);
            if (match == NULL || PyList_Append(matches, match) < 0) {
                Py_XDECREF(match);
                goto done;
            }
            Py_DECREF(match);
        }
        /* o.unmatched_cols are positions in the current list. */
        for (Py_ssize_t k = 0; k < o.n_unmatched_cols; k++) {
            next_detections[k] = detections[o.unmatched_cols[k]];
        }
        n_unmatched = o.n_unmatched_cols;
        memcpy(detections, next_detections, (size_t)n_unmatched * sizeof(Py_ssize_t));
    }
    if (saw_invalid) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *unmatched = PyList_New(n_unmatched);
    if (unmatched == NULL) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < n_unmatched; k++) {
        PyObject *d = PyLong_FromSsize_t(detections[k]);
        if (d == NULL) {
            Py_DECREF(unmatched);
            goto done;
        }
        PyList_SET_ITEM(unmatched, k, d);
    }
    result = Py_BuildValue("(ON)", matches, unmatched);
done:
    free(detections);
    free(level);
    free(sub);
    free(o.match_rows);
    Py_XDECREF(matches);
    Py_XDECREF(levels);
    Py_XDECREF(row_tracks);
    PyBuffer_Release(&view);
    return result;
}

/* ------------------------------------------------------------------ Kalman filter */

/* Stacks with the batch axis last, as deep_sort.track.StackedStates keeps
 * them: mean[i * N + n], covariance[(8 i + j) * N + n] = P[i][j] of state n. */
#define MEAN(i) mean[(i) * n_states + n]
#define COV(i, j) covariance[(8 * (i) + (j)) * n_states + n]

static int
get_stacks(PyObject *mean_arg, PyObject *covariance_arg, Py_buffer *mean_view, Py_buffer *covariance_view,
           int writable)
{
    if (get_float64(mean_arg, mean_view, 2, writable, "mean") < 0) {
        return -1;
    }
    if (get_float64(covariance_arg, covariance_view, 3, writable, "covariance") < 0) {
        PyBuffer_Release(mean_view);
        return -1;
    }
    Py_ssize_t n_states = mean_view->shape[1];
    if (mean_view->shape[0] != 8 || covariance_view->shape[0] != 8 || covariance_view->shape[1] != 8
        || covariance_view->shape[2] != n_states) {
        PyErr_SetString(PyExc_ValueError, "expected mean (8, N) and covariance (8, 8, N)");
        PyBuffer_Release(mean_view);
        PyBuffer_Release(covariance_view);
        return -1;
    }
    return 0;
}

/* True if P of state n has a non-zero (or NaN) entry coupling two axes. */
static int
couples_axes(const double *covariance, Py_ssize_t n_states, Py_ssize_t n)
{
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++) {
            if (i % 4 != j % 4 && COV(i, j) != 0.0) {
                return 1;
            }
        }
    }
    return 0;
}

PyDoc_STRVAR(kalman_predict_doc,
"kalman_predict(mean, covariance, std_weight_position, std_weight_velocity) -> None\n\n"
"KalmanFilter.predict_stacked in place: mean (8, N) and covariance (8, 8, N),\n"
"C-contiguous writable float64, become the predicted states, bit for bit.");

static PyObject *
py_kalman_predict(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg;
    double weight_position, weight_velocity;
    if (!PyArg_ParseTuple(args, "OOdd:kalman_predict", &mean_arg, &covariance_arg, &weight_position,
                          &weight_velocity)) {
        return NULL;
    }
    Py_buffer mean_view, covariance_view;
    if (get_stacks(mean_arg, covariance_arg, &mean_view, &covariance_view, 1) < 0) {
        return NULL;
    }
    double *mean = (double *)mean_view.buf, *covariance = (double *)covariance_view.buf;
    const Py_ssize_t n_states = mean_view.shape[1];
    for (Py_ssize_t n = 0; n < n_states; n++) {
        const double height = MEAN(3);
        /* x' = F x: positions plus velocities. */
        for (int i = 0; i < 4; i++) {
            MEAN(i) = MEAN(i) + MEAN(i + 4);
        }
        /* F P F^T as F (P F^T): columns, then rows. */
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 4; j++) {
                COV(i, j) = COV(i, j) + COV(i, j + 4);
            }
        }
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 8; j++) {
                COV(i, j) = COV(i, j) + COV(i + 4, j);
            }
        }
        /* + Q, diagonal: std weights times the height, aspect-ratio terms fixed. */
        for (int k = 0; k < 8; k++) {
            double std;
            if (k == 2) {
                std = 1e-2;
            } else if (k == 6) {
                std = 1e-5;
            } else {
                std = (k < 4 ? weight_position : weight_velocity) * height;
            }
            COV(k, k) = COV(k, k) + std * std;
        }
    }
    PyBuffer_Release(&mean_view);
    PyBuffer_Release(&covariance_view);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(kalman_update_doc,
"kalman_update(mean, covariance, measurements, std_weight_position) -> bool\n\n"
"KalmanFilter.update_stacked in place for axis-decoupled covariances: state\n"
"n is corrected with measurements[n] (xyah), bit for bit. Returns False,\n"
"without writing, if any covariance couples two axes.");

static PyObject *
py_kalman_update(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg, *measurements_arg;
    double weight_position;
    if (!PyArg_ParseTuple(args, "OOOd:kalman_update", &mean_arg, &covariance_arg, &measurements_arg,
                          &weight_position)) {
        return NULL;
    }
    Py_buffer mean_view, covariance_view, measurements_view;
    if (get_stacks(mean_arg, covariance_arg, &mean_view, &covariance_view, 1) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    double *mean = (double *)mean_view.buf, *covariance = (double *)covariance_view.buf;
    const Py_ssize_t n_states = mean_view.shape[1];
    if (get_float64(measurements_arg, &measurements_view, 2, 0, "measurements") < 0) {
        goto release;
    }
    const double *measurements = (const double *)measurements_view.buf;
    if (measurements_view.shape[0] != n_states || measurements_view.shape[1] != 4) {
        PyErr_SetString(PyExc_ValueError, "expected measurements (N, 4)");
        goto done;
    }
    for (Py_ssize_t n = 0; n < n_states; n++) {
        if (couples_axes(covariance, n_states, n)) {
            result = Py_NewRef(Py_False);
            goto done;
        }
    }
    for (Py_ssize_t n = 0; n < n_states; n++) {
        const double height = MEAN(3);
        /* S is diagonal; per axis k the gain has two non-zero entries,
         * K[k][k] = g0 and K[k + 4][k] = g1, each P H^T / S as the Cholesky
         * solve computes it: times 1 / sqrt(S_kk), twice. */
        for (int k = 0; k < 4; k++) {
            const double std = k == 2 ? 1e-1 : weight_position * height;
            const double s_kk = COV(k, k) + std * std;
            const double inv_sqrt = 1.0 / sqrt(s_kk);
            const double g0 = COV(k, k) * inv_sqrt * inv_sqrt, g1 = COV(k + 4, k) * inv_sqrt * inv_sqrt;
            const double innovation = measurements[4 * n + k] - MEAN(k);
            MEAN(k) = MEAN(k) + innovation * g0;
            MEAN(k + 4) = MEAN(k + 4) + innovation * g1;
            /* P - K S K^T, with K S K^T = K (S K^T). */
            const double sg0 = s_kk * g0, sg1 = s_kk * g1;
            COV(k, k) = COV(k, k) - g0 * sg0;
            COV(k, k + 4) = COV(k, k + 4) - g0 * sg1;
            COV(k + 4, k) = COV(k + 4, k) - g1 * sg0;
            COV(k + 4, k + 4) = COV(k + 4, k + 4) - g1 * sg1;
        }
    }
    result = Py_NewRef(Py_True);
done:
    PyBuffer_Release(&measurements_view);
release:
    PyBuffer_Release(&mean_view);
    PyBuffer_Release(&covariance_view);
    return result;
}

PyDoc_STRVAR(gate_doc,
"gate(mean, covariance, columns, measurements, std_weight_position, threshold)\n"
"    -> (rows, detection_indices) or None\n\n"
"The pairs inside the Kalman gate, as KalmanFilter.gating_distance_stacked\n"
"computes the distance for axis-decoupled covariances (bit for bit) and the\n"
"tracker selects them (distance not above threshold). mean (8, N) and\n"
"covariance (8, 8, N): C-contiguous float64 stacks; columns: the stack\n"
"columns of the tracks to gate (row r of the result is columns[r]);\n"
"measurements (M, 4) xyah, C-contiguous float64. Pairs come row by row,\n"
"detections in order. None if a selected covariance couples two axes\n"
"(the general path in Python applies).");

static PyObject *
py_gate(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *covariance_arg, *columns_arg, *measurements_arg;
    double std_weight_position, threshold;
    if (!PyArg_ParseTuple(args, "OOOOdd:gate", &mean_arg, &covariance_arg, &columns_arg, &measurements_arg,
                          &std_weight_position, &threshold)) {
        return NULL;
    }
    Py_buffer mean_view, covariance_view, measurements_view = {0};
    PyObject *columns = NULL, *rows = NULL, *detections = NULL, *result = NULL;
    double *inv_sqrt = NULL;
    if (get_stacks(mean_arg, covariance_arg, &mean_view, &covariance_view, 0) < 0) {
        return NULL;
    }
    if (get_float64(measurements_arg, &measurements_view, 2, 0, "measurements") < 0) {
        goto done;
    }
    const Py_ssize_t n_states = mean_view.shape[1], n_measurements = measurements_view.shape[0];
    if (measurements_view.shape[1] != 4) {
        PyErr_SetString(PyExc_ValueError, "expected measurements (M, 4)");
        goto done;
    }
    columns = as_int_list(columns_arg, "columns");
    if (columns == NULL) {
        goto done;
    }
    const Py_ssize_t n_rows = PyList_GET_SIZE(columns);
    const double *mean = (const double *)mean_view.buf, *covariance = (const double *)covariance_view.buf;
    const double *measurements = (const double *)measurements_view.buf;
    inv_sqrt = (double *)malloc((size_t)(4 * n_rows + 1) * sizeof(double));
    if (inv_sqrt == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t n = PyLong_AsSsize_t(PyList_GET_ITEM(columns, r));
        if (n < 0 || n >= n_states) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_IndexError, "columns out of range");
            }
            goto done;
        }
        if (couples_axes(covariance, n_states, n)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        /* S = H P H^T + R is diagonal: S_kk = P_kk + (innovation std)^2. */
        const double height = MEAN(3);
        for (int k = 0; k < 4; k++) {
            double std = k == 2 ? 1e-1 : std_weight_position * height;
            double s_kk = COV(k, k) + std * std;
            inv_sqrt[4 * r + k] = 1.0 / sqrt(s_kk);
        }
    }
    rows = PyList_New(0);
    detections = PyList_New(0);
    if (rows == NULL || detections == NULL) {
        goto done;
    }
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t n = PyLong_AsSsize_t(PyList_GET_ITEM(columns, r));
        PyObject *row_object = NULL;
        for (Py_ssize_t j = 0; j < n_measurements; j++) {
            double distance = 0.0;
            for (int k = 0; k < 4; k++) {
                double z = (measurements[4 * j + k] - MEAN(k)) * inv_sqrt[4 * r + k];
                z = z * z;
                distance = k == 0 ? z : distance + z;
            }
            if (distance > threshold) {
                continue;
            }
            if (row_object == NULL && (row_object = PyLong_FromSsize_t(r)) == NULL) {
                goto done;
            }
            PyObject *detection = PyLong_FromSsize_t(j);
            if (detection == NULL || PyList_Append(rows, row_object) < 0 || PyList_Append(detections, detection) < 0) {
                Py_XDECREF(detection);
                Py_DECREF(row_object);
                goto done;
            }
            Py_DECREF(detection);
        }
        Py_XDECREF(row_object);
    }
    result = PyTuple_Pack(2, rows, detections);
done:
    free(inv_sqrt);
    Py_XDECREF(columns);
    Py_XDECREF(rows);
    Py_XDECREF(detections);
    PyBuffer_Release(&mean_view);
    PyBuffer_Release(&covariance_view);
    if (measurements_view.obj != NULL) {
        PyBuffer_Release(&measurements_view);
    }
    return result;
}


PyDoc_STRVAR(iou_cost_doc,
"iou_cost(mean, columns, time_since_update, detection_tlwh, detection_indices, out, infty_cost) -> None\n\n"
"iou_matching.iou_cost_matrix of the predicted boxes of stack columns\n"
"`columns` (mean (8, N)) and detection_tlwh[detection_indices] ((M, 4)),\n"
"written to out (len(columns), len(detection_indices)), rows of a\n"
"time_since_update above 1 set to infty_cost. All C-contiguous float64.");

/* np.maximum / np.minimum: NaN wins. */
static inline double
np_maximum(double a, double b)
{
    return (a >= b || isnan(a)) ? a : b;
}

static inline double
np_minimum(double a, double b)
{
    return (a <= b || isnan(a)) ? a : b;
}

static PyObject *
py_iou_cost(PyObject *self, PyObject *args)
{
    PyObject *mean_arg, *columns_arg, *ages_arg, *tlwh_arg, *indices_arg, *out_arg;
    double infty_cost;
    if (!PyArg_ParseTuple(args, "OOOOOOd:iou_cost", &mean_arg, &columns_arg, &ages_arg, &tlwh_arg, &indices_arg,
                          &out_arg, &infty_cost)) {
        return NULL;
    }
    Py_buffer mean_view = {0}, tlwh_view = {0}, out_view = {0};
    PyObject *columns = NULL, *ages = NULL, *indices = NULL, *result = NULL;
    if (get_float64(mean_arg, &mean_view, 2, 0, "mean") < 0 || get_float64(tlwh_arg, &tlwh_view, 2, 0, "detection_tlwh") < 0
        || get_float64(out_arg, &out_view, 2, 1, "out") < 0) {
        goto done;
    }
    columns = as_int_list(columns_arg, "columns");
    ages = columns == NULL ? NULL : as_int_list(ages_arg, "time_since_update");
    indices = ages == NULL ? NULL : as_int_list(indices_arg, "detection_indices");
    if (indices == NULL) {
        goto done;
    }
    const Py_ssize_t n_states = mean_view.shape[1], n_rows = PyList_GET_SIZE(columns);
    const Py_ssize_t n_cols = PyList_GET_SIZE(indices), n_detections = tlwh_view.shape[0];
    if (mean_view.shape[0] != 8 || tlwh_view.shape[1] != 4 || PyList_GET_SIZE(ages) != n_rows
        || out_view.shape[0] != n_rows || out_view.shape[1] != n_cols) {
        PyErr_SetString(PyExc_ValueError, "iou_cost: shapes do not match");
        goto done;
    }
    const double *mean = (const double *)mean_view.buf, *tlwh = (const double *)tlwh_view.buf;
    double *out = (double *)out_view.buf;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t n = PyLong_AsSsize_t(PyList_GET_ITEM(columns, r));
        long age = PyLong_AsLong(PyList_GET_ITEM(ages, r));
        if (n < 0 || n >= n_states) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_IndexError, "columns out of range");
            }
            goto done;
        }
        if (age == -1 && PyErr_Occurred()) {
            goto done;
        }
        /* Track.to_tlwh of the predicted state (boxes.xyah_to_tlwh). */
        const double height = MEAN(3), width = MEAN(2) * height;
        const double left = MEAN(0) - width / 2, top = MEAN(1) - height / 2;
        for (Py_ssize_t c = 0; c < n_cols; c++) {
            Py_ssize_t j = PyLong_AsSsize_t(PyList_GET_ITEM(indices, c));
            if (j < 0 || j >= n_detections) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_IndexError, "detection_indices out of range");
                }
                goto done;
            }
            const double *box = tlwh + 4 * j;
            /* iou_matching.iou_matrix, operation by operation. */
            double w = np_maximum(0.0, np_minimum(left + width, box[0] + box[2]) - np_maximum(left, box[0]));
            double h = np_maximum(0.0, np_minimum(top + height, box[1] + box[3]) - np_maximum(top, box[1]));
            double intersection = w * h;
            double iou = intersection / (width * height + box[2] * box[3] - intersection);
            out[r * n_cols + c] = age > 1 ? infty_cost : 1.0 - iou;
        }
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(columns);
    Py_XDECREF(ages);
    Py_XDECREF(indices);
    PyBuffer_Release(&mean_view);
    PyBuffer_Release(&tlwh_view);
    PyBuffer_Release(&out_view);
    return result;
}

#undef MEAN
#undef COV

/* ------------------------------------------------------------------ float32 products */

/* numpy's ndarray.dot of a C-contiguous (n, D) float32 matrix and a
 * contiguous vector calls cblas_sgemv(RowMajor, NoTrans, n, D, 1, A, D, x, 1,
 * 0, y, 1), or cblas_sdot for a single row. The functions of numpy's own
 * OpenBLAS are registered at run time (their addresses come from ctypes),
 * so the products are numpy's, bit for bit. */
enum { ROW_MAJOR = 101, NO_TRANS = 111 };
typedef void (*sgemv64_fn)(int, int, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                           float, float *, int64_t);
typedef float (*sdot64_fn)(int64_t, const float *, int64_t, const float *, int64_t);
typedef void (*sgemv32_fn)(int, int, int32_t, int32_t, float, const float *, int32_t, const float *, int32_t,
                           float, float *, int32_t);
typedef float (*sdot32_fn)(int32_t, const float *, int32_t, const float *, int32_t);

static void *blas_sgemv = NULL, *blas_sdot = NULL;
static int blas_ilp64 = 0;

static void
matrix_vector_product(const float *samples, Py_ssize_t n, Py_ssize_t dim, const float *query, float *out)
{
    if (n == 1) {
        double sum = 0.0; /* numpy accumulates the BLAS dot in double */
        sum += blas_ilp64 ? ((sdot64_fn)blas_sdot)(dim, samples, 1, query, 1)
                          : ((sdot32_fn)blas_sdot)((int32_t)dim, samples, 1, query, 1);
        out[0] = (float)sum;
    } else if (blas_ilp64) {
        ((sgemv64_fn)blas_sgemv)(ROW_MAJOR, NO_TRANS, n, dim, 1.0f, samples, dim, query, 1, 0.0f, out, 1);
    } else {
        ((sgemv32_fn)blas_sgemv)(ROW_MAJOR, NO_TRANS, (int32_t)n, (int32_t)dim, 1.0f, samples, (int32_t)dim,
                                 query, 1, 0.0f, out, 1);
    }
}

static int
products_ready(void)
{
    if (blas_sgemv == NULL || blas_sdot == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "no float32 product functions registered (set_float32_products)");
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(set_products_doc,
"set_float32_products(sgemv_address, sdot_address, ilp64) -> None\n\n"
"Register cblas_sgemv and cblas_sdot (addresses as int, 0 to unregister);\n"
"ilp64: whether they take 64-bit integers.");

static PyObject *
py_set_float32_products(PyObject *self, PyObject *args)
{
    unsigned long long gemv_address, dot_address;
    int ilp64;
    if (!PyArg_ParseTuple(args, "KKp:set_float32_products", &gemv_address, &dot_address, &ilp64)) {
        return NULL;
    }
    blas_sgemv = (void *)(uintptr_t)gemv_address;
    blas_sdot = (void *)(uintptr_t)dot_address;
    blas_ilp64 = ilp64;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(matrix_vector_doc,
"matrix_vector(samples, queries, query_index, out) -> None\n\n"
"out[:] = samples.dot(queries[query_index]) with the registered functions:\n"
"samples (n, D), queries (M, D), out (n,), C-contiguous float32.");

static PyObject *
py_matrix_vector(PyObject *self, PyObject *args)
{
    PyObject *samples_arg, *queries_arg, *out_arg;
    Py_ssize_t query_index;
    if (!PyArg_ParseTuple(args, "OOnO:matrix_vector", &samples_arg, &queries_arg, &query_index, &out_arg)
        || !products_ready()) {
        return NULL;
    }
    Py_buffer samples = {0}, queries = {0}, out = {0};
    PyObject *result = NULL;
    if (get_float32(samples_arg, &samples, 2, 0, "samples") < 0 || get_float32(queries_arg, &queries, 2, 0, "queries") < 0
        || get_float32(out_arg, &out, 1, 1, "out") < 0) {
        goto done;
    }
    if (samples.shape[1] != queries.shape[1] || out.shape[0] != samples.shape[0] || samples.shape[0] < 1
        || query_index < 0 || query_index >= queries.shape[0]) {
        PyErr_SetString(PyExc_ValueError, "matrix_vector: shapes or query_index do not match");
        goto done;
    }
    matrix_vector_product((const float *)samples.buf, samples.shape[0], samples.shape[1],
                          (const float *)queries.buf + query_index * queries.shape[1], (float *)out.buf);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&samples);
    PyBuffer_Release(&queries);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(cosine_pairs_doc,
"cosine_pair_distances(samples, queries, query_indices, out) -> bool\n\n"
"FeatureGallery.pair_distances for the cosine metric: out[p] = 1 -\n"
"max(samples[p].dot(queries[query_indices[p]])) in float32 (NaN if a product\n"
"is NaN, as np.maximum). samples: P arrays (n_p >= 1, D) (consecutive pairs\n"
"may repeat one); queries (M, D); out (P,). All C-contiguous float32;\n"
"returns False, leaving out partly written, if a samples array is not.");

static PyObject *
py_cosine_pair_distances(PyObject *self, PyObject *args)
{
    PyObject *samples_arg, *queries_arg, *indices_arg, *out_arg;
    if (!PyArg_ParseTuple(args, "OOOO:cosine_pair_distances", &samples_arg, &queries_arg, &indices_arg, &out_arg)
        || !products_ready()) {
        return NULL;
    }
    PyObject *samples_list = NULL, *indices = NULL, *result = NULL, *last = NULL;
    Py_buffer queries = {0}, out = {0}, samples = {0};
    float *products = NULL;
    if (get_float32(queries_arg, &queries, 2, 0, "queries") < 0 || get_float32(out_arg, &out, 1, 1, "out") < 0) {
        goto done;
    }
    samples_list = PySequence_Fast(samples_arg, "samples must be a sequence");
    indices = samples_list == NULL ? NULL : as_int_list(indices_arg, "query_indices");
    if (indices == NULL) {
        goto done;
    }
    const Py_ssize_t n_pairs = PySequence_Fast_GET_SIZE(samples_list), dim = queries.shape[1];
    if (PyList_GET_SIZE(indices) != n_pairs || out.shape[0] != n_pairs) {
        PyErr_SetString(PyExc_ValueError, "samples, query_indices and out must have one entry per pair");
        goto done;
    }
    float *distances = (float *)out.buf;
    Py_ssize_t capacity = 0;
    for (Py_ssize_t p = 0; p < n_pairs; p++) {
        PyObject *object = PySequence_Fast_GET_ITEM(samples_list, p);
        if (object != last) {
            if (last != NULL) {
                PyBuffer_Release(&samples);
                last = NULL;
            }
            if (get_float32(object, &samples, 2, 0, "samples") < 0) {
                PyErr_Clear();
                result = Py_NewRef(Py_False);
                goto done;
            }
            last = object;
            if (samples.shape[1] != dim || samples.shape[0] < 1) {
                PyErr_SetString(PyExc_ValueError, "samples must be (n >= 1, D) like the queries");
                goto done;
            }
            if (samples.shape[0] > capacity) {
                capacity = samples.shape[0];
                free(products);
                products = (float *)malloc((size_t)capacity * sizeof(float));
                if (products == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
        }
        Py_ssize_t query = PyLong_AsSsize_t(PyList_GET_ITEM(indices, p));
        if (query < 0 || query >= queries.shape[0]) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_IndexError, "query index out of range");
            }
            goto done;
        }
        const Py_ssize_t n = samples.shape[0];
        matrix_vector_product((const float *)samples.buf, n, dim, (const float *)queries.buf + query * dim, products);
        float largest = products[0];
        for (Py_ssize_t i = 1; i < n && !isnan(largest); i++) {
            if (isnan(products[i]) || products[i] > largest) {
                largest = products[i];
            }
        }
        distances[p] = 1.0f - largest;
    }
    result = Py_NewRef(Py_True);
done:
    if (last != NULL) {
        PyBuffer_Release(&samples);
    }
    free(products);
    Py_XDECREF(samples_list);
    Py_XDECREF(indices);
    PyBuffer_Release(&queries);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"linear_sum_assignment", py_linear_sum_assignment, METH_O, lsa_doc},
    {"assign", py_assign, METH_VARARGS, assign_doc},
    {"matching_cascade", py_matching_cascade, METH_VARARGS, cascade_doc},
    {"gate", py_gate, METH_VARARGS, gate_doc},
    {"iou_cost", py_iou_cost, METH_VARARGS, iou_cost_doc},
    {"kalman_predict", py_kalman_predict, METH_VARARGS, kalman_predict_doc},
    {"kalman_update", py_kalman_update, METH_VARARGS, kalman_update_doc},
    {"set_float32_products", py_set_float32_products, METH_VARARGS, set_products_doc},
    {"matrix_vector", py_matrix_vector, METH_VARARGS, matrix_vector_doc},
    {"cosine_pair_distances", py_cosine_pair_distances, METH_VARARGS, cosine_pairs_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "deep_sort._speedups",
    "Compiled hot-path steps of the tracker (see deep_sort/compiled.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
