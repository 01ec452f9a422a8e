# What each module of the amuddu tool (gateway/cli/) needs from other
# modules; held to the layering of docs/design.md by scripts/check-layers.
NEEDS_gateway/cli/amuddu := gateway/cli/client gateway/cli/cmd_campaign gateway/cli/cmd_contacts gateway/cli/cmd_inbox gateway/cli/cmd_keywords gateway/cli/cmd_reach gateway/cli/cmd_segments gateway/cli/cmd_password
NEEDS_gateway/cli/client := gateway/util/buf gateway/util/xmalloc
NEEDS_gateway/cli/cmd_campaign := gateway/cli/client
NEEDS_gateway/cli/cmd_contacts := gateway/cli/client gateway/util/buf
NEEDS_gateway/cli/cmd_segments := gateway/cli/client
NEEDS_gateway/cli/cmd_keywords := handlers/keywords locales/catalog
NEEDS_gateway/cli/cmd_inbox := gateway/cli/client
NEEDS_gateway/cli/cmd_reach := gateway/cli/client gateway/util/buf
NEEDS_gateway/cli/cmd_password := gateway/config_api gateway/util/domain
