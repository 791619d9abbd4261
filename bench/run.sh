#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: not written yet (see bench/README.md).
echo "bench: no benchmark yet; see bench/README.md for what is planned and where the tests print figures today" >&2
exit 2
