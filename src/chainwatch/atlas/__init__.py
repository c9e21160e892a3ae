"""The chain atlas (产业链图谱): chains as data, the firms placed on them and the flows between.

  chains        chain definitions (YAML): segments (环节) by stage (上游/中游/下游), the industry
                codes, product keywords and HS codes that place firms in them, key products with
                卡脖子 flags, and the supply flows between segments; loader and API. Zhejiang's ten
                flagship chains (十大标志性产业链) ship in chainwatch/reference/chains/; a
                department adds its own with ``chainwatch chains add FILE`` (docs/chains.md).
  chain_checks  reading chain files and reporting every problem with file, line and field.

The other modules place firms on the chains and compute the atlas from the links (docs/atlas.md).
"""
