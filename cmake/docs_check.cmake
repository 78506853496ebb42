# SPDX-License-Identifier: GPL-2.0-or-later
# Fail when Doxygen left any warning: every public symbol must be documented.
file(READ "${LOG}" warnings)
if(NOT warnings STREQUAL "")
  string(REGEX MATCHALL "\n" lines "${warnings}")
  list(LENGTH lines n)
  message(FATAL_ERROR "Doxygen warned ${n} times (see ${LOG}):\n${warnings}")
endif()
