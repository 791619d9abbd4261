# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of heca's documentation.  Structures are pulled from
# the headers with ".. kernel-doc::", by the kernel's own scripts/kernel-doc
# and Documentation/sphinx/kerneldoc.py, which Documentation/lint.sh takes
# from Debian's linux-source-6.1 tarball at build time (nothing of the
# kernel's is kept here) and points to with HECA_KERNEL_SRC (an absolute
# path: Sphinx reads this file from Documentation/).
#
#   Documentation/lint.sh          kernel-doc -none on the headers, then this
#                                  build with warnings as errors
import os
import sys

top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
ksrc = os.environ.get('HECA_KERNEL_SRC', os.path.join(top, 'build', 'doc', 'kernel'))
if not os.path.isfile(os.path.join(ksrc, 'Documentation', 'sphinx', 'kerneldoc.py')):
    sys.exit('conf.py: no kerneldoc.py under %s: build the documentation with '
             'Documentation/lint.sh' % ksrc)
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'heca'
copyright = 'The heca developers'
extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = top
primary_domain = 'c'
highlight_language = 'none'
master_doc = 'index'
exclude_patterns = []
html_theme = 'alabaster'
