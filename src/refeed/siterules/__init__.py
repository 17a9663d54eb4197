"""Per-site extraction rules in the Full-Text RSS site config format (ftr-site-config):
read (:mod:`~refeed.siterules.parse`) and found for a page's host among the user's rule
folders and a source's inline ``rules:`` (:mod:`~refeed.siterules.book`). They are
applied to a page by :mod:`refeed.extract.siterule`."""

from refeed.siterules.book import RuleBook, book, headers, inline
from refeed.siterules.parse import Link, Rule, RuleWarning, SiteConfig, SiteTest, merge, parse_rules

__all__ = [
    "Link",
    "Rule",
    "RuleBook",
    "RuleWarning",
    "SiteConfig",
    "SiteTest",
    "book",
    "headers",
    "inline",
    "merge",
    "parse_rules",
]
