"""Node handlers: each node type is a handler class with its traits
(`bosun.pipeline.nodetypes.NodeKind`); `registry.NODE_TYPES` lists them."""
