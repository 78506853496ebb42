/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small dense least squares for the calibration of the cycle model (tools/calibrate.c): the
 * model's prediction for an anchor is linear in the free cost constants, so fitting them is
 * min |A x - b|^2 with one row per anchor. Leave-one-out needs to know when a held-out row is
 * not determined by the others at all, so rank and row-space membership are exposed too.
 * Sizes are tiny (a handful of anchors and constants): plain elimination is enough.
 */
#ifndef SE_TIMING_LSQ_H
#define SE_TIMING_LSQ_H

#include <stdbool.h>

#define SE_LSQ_MAX 24 /* rows and columns; the calibration uses fewer than ten of each */

/* Rank of the m x n row-major matrix A (relative tolerance 1e-9 of its largest entry). */
int se_lsq_rank(const double *a, int m, int n);

/* Whether the n-vector r is a combination of the rows of A: then r.x is the same for every
 * least-squares solution x, i.e. the fit determines the prediction r.x. */
bool se_lsq_in_rowspace(const double *a, int m, int n, const double *r);

/* One least-squares solution of min |A x - b|: the basic one (undetermined components 0).
 * Returns the rank of A, or -1 for bad sizes. */
int se_lsq_solve(const double *a, const double *b, int m, int n, double *x);

/* Leave-one-out: for each row i, fit without it and predict b_i from A_i. pred[i] is set and
 * ok[i] true only when A_i lies in the row space of the other rows; otherwise the held-out
 * value is undetermined by the rest (ok[i] false, pred[i] NAN). Returns -1 for bad sizes. */
int se_lsq_leave_one_out(const double *a, const double *b, int m, int n, double *pred, bool *ok);

#endif
