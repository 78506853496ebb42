# SPDX-License-Identifier: GPL-2.0-or-later
ghz 1e1
name x
