"""refeed: clean full-text feeds from teaser feeds and feedless news sites.

The package is one module per stage, data flowing one way::

    config -> fetch -> sources -> extract -> clean -> store -> publish -> serve

with :mod:`refeed.cycle` joining the stages for one run over the sources,
:mod:`refeed.scheduler` running cycles on a schedule and :mod:`refeed.cli` on top.
"""

__version__ = "0.1.0"
