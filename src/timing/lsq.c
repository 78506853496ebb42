/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Least squares by the normal equations with full-pivot Gauss-Jordan elimination. The normal
 * equations square the condition number, which is harmless here: the calibration matrix holds
 * small instruction counts, scaled by one over each anchor's target.
 */
#include "timing/lsq.h"

#include <math.h>
#include <string.h>

/* Reduce the m x n matrix w (row-major, stride n) in place to reduced row-echelon form with
 * full pivoting over the first `ncols` columns; later columns ride along (the right-hand side).
 * piv[k] receives the column of the k-th pivot. Returns the rank. */
static int se_lsq_reduce(double *w, int m, int n, int ncols, int *piv)
{
    double big = 0;
    for (int i = 0; i < m * n; i++)
        big = fmax(big, fabs(w[i]));
    double tol = big * 1e-9;
    int rank = 0;
    bool used[SE_LSQ_MAX] = {false};
    for (int k = 0; k < m && k < ncols; k++) {
        int pr = -1, pc = -1;
        double best = tol;
        for (int i = k; i < m; i++)
            for (int j = 0; j < ncols; j++)
                if (!used[j] && fabs(w[i * n + j]) > best) {
                    best = fabs(w[i * n + j]);
                    pr = i;
                    pc = j;
                }
        if (pr < 0)
            break;
        for (int j = 0; j < n; j++) {
            double t = w[k * n + j];
            w[k * n + j] = w[pr * n + j];
            w[pr * n + j] = t;
        }
        double p = w[k * n + pc];
        for (int j = 0; j < n; j++)
            w[k * n + j] /= p;
        for (int i = 0; i < m; i++) {
            if (i == k)
                continue;
            double f = w[i * n + pc];
            if (f != 0)
                for (int j = 0; j < n; j++)
                    w[i * n + j] -= f * w[k * n + j];
        }
        used[pc] = true;
        piv[rank++] = pc;
    }
    return rank;
}

static bool se_lsq_sizes_ok(int m, int n)
{
    return m >= 0 && n > 0 && m < SE_LSQ_MAX && n <= SE_LSQ_MAX;
}

int se_lsq_rank(const double *a, int m, int n)
{
    if (!se_lsq_sizes_ok(m, n))
        return -1;
    double w[SE_LSQ_MAX * SE_LSQ_MAX];
    int piv[SE_LSQ_MAX];
    memcpy(w, a, sizeof(double) * (size_t)(m * n));
    return se_lsq_reduce(w, m, n, n, piv);
}

bool se_lsq_in_rowspace(const double *a, int m, int n, const double *r)
{
    if (!se_lsq_sizes_ok(m + 1, n))
        return false;
    double w[SE_LSQ_MAX * SE_LSQ_MAX];
    memcpy(w, a, sizeof(double) * (size_t)(m * n));
    int r0 = se_lsq_rank(w, m, n);
    memcpy(w + m * n, r, sizeof(double) * (size_t)n);
    return se_lsq_rank(w, m + 1, n) == r0;
}

int se_lsq_solve(const double *a, const double *b, int m, int n, double *x)
{
    if (!se_lsq_sizes_ok(m, n))
        return -1;
    /* [A^T A | A^T b], n x (n + 1) */
    double w[SE_LSQ_MAX * (SE_LSQ_MAX + 1)];
    int nn = n + 1;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < m; k++)
                s += a[k * n + i] * a[k * n + j];
            w[i * nn + j] = s;
        }
        double s = 0;
        for (int k = 0; k < m; k++)
            s += a[k * n + i] * b[k];
        w[i * nn + n] = s;
    }
    int piv[SE_LSQ_MAX];
    int rank = se_lsq_reduce(w, n, nn, n, piv);
    for (int j = 0; j < n; j++)
        x[j] = 0;
    for (int k = 0; k < rank; k++)
        x[piv[k]] = w[k * nn + n];
    return se_lsq_rank(a, m, n);
}

int se_lsq_leave_one_out(const double *a, const double *b, int m, int n, double *pred, bool *ok)
{
    if (!se_lsq_sizes_ok(m, n))
        return -1;
    double ra[SE_LSQ_MAX * SE_LSQ_MAX], rb[SE_LSQ_MAX], x[SE_LSQ_MAX];
    for (int i = 0; i < m; i++) {
        int k = 0;
        for (int r = 0; r < m; r++) {
            if (r == i)
                continue;
            memcpy(ra + k * n, a + r * n, sizeof(double) * (size_t)n);
            rb[k++] = b[r];
        }
        ok[i] = se_lsq_in_rowspace(ra, k, n, a + i * n);
        pred[i] = NAN;
        if (!ok[i])
            continue;
        se_lsq_solve(ra, rb, k, n, x);
        double s = 0;
        for (int j = 0; j < n; j++)
            s += a[i * n + j] * x[j];
        pred[i] = s;
    }
    return 0;
}
