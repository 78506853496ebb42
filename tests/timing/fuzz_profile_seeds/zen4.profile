# SPDX-License-Identifier: GPL-2.0-or-later
name zen4-fast
base zen4
ghz 5.7
swapgs 2.5
