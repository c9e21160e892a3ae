"""chainwatch — 产业链供应链安全监测与企业服务平台.

An open platform for provincial and municipal industry departments: chain atlases, supply-cut
risk lists, monitoring indices and enterprise services over the data a department already holds.
"""

__version__ = "0.1.0"
