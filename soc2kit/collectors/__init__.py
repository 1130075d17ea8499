"""Collectors: plugins that fetch a snapshot from a system (a cloud account, an identity provider,
a GitHub organization) and check it.

base     the interface every collector implements: Collector, Snapshot, Finding, CollectContext,
         CollectorError
plugins  load_collectors(): the installed collectors (entry points of the `soc2kit.collectors` group),
         and why each broken one cannot be used
"""
