# SPDX-License-Identifier: GPL-2.0-or-later
base skylake
handler 0  # comment

