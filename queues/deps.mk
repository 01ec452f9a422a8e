# What each module in queues/ needs from other modules: the unit tests and
# fuzz targets link a module with exactly this (and what that needs in turn).
# Held to the layering of docs/design.md by scripts/check-layers.
NEEDS_queues/backoff :=
NEEDS_queues/cmdargs := gateway/util/xmalloc gateway/util/zone
NEEDS_queues/keys := gateway/util/xmalloc
NEEDS_queues/message := gateway/util/buf gateway/util/domain gateway/util/phone gateway/util/xmalloc queues/keys
NEEDS_queues/outbox := gateway/util/domain gateway/util/log gateway/util/phone gateway/util/strset gateway/util/xmalloc queues/message queues/outbox_read queues/outbox_record queues/outbox_schedule queues/redis_conn queues/script_call queues/scripts
NEEDS_queues/outbox_read := gateway/util/domain gateway/util/log gateway/util/phone gateway/util/strset gateway/util/xmalloc queues/message queues/outbox queues/outbox_record queues/outbox_schedule queues/redis_conn queues/script_call
NEEDS_queues/outbox_record := gateway/util/domain gateway/util/log gateway/util/phone gateway/util/xmalloc queues/backoff queues/keys queues/outbox queues/outbox_schedule queues/redis_conn queues/script_call
NEEDS_queues/outbox_schedule := gateway/util/domain gateway/util/log queues/outbox queues/outbox_record queues/redis_conn queues/script_call
NEEDS_queues/receipts := gateway/util/domain gateway/util/log gateway/util/xmalloc queues/keys queues/redis_conn queues/script_call
NEEDS_queues/redis_conn := gateway/util/log gateway/util/xmalloc queues/redis_url
NEEDS_queues/redis_url := gateway/util/buf gateway/util/xmalloc
NEEDS_queues/script_call := gateway/util/log gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/redis_conn queues/scripts
NEEDS_queues/scripts := gateway/util/buf gateway/util/domain queues/scripts_outbox queues/scripts_receipts
NEEDS_queues/scripts_outbox :=
NEEDS_queues/scripts_receipts :=
NEEDS_queues/lua := gateway/util/log gateway/util/xmalloc queues/cmdargs queues/redis_conn
NEEDS_queues/store := gateway/util/buf gateway/util/log gateway/util/xmalloc queues/cmdargs queues/lua queues/redis_conn queues/script_call
NEEDS_queues/contacts := queues/lua
NEEDS_queues/contacts_search := queues/lua
NEEDS_queues/campaigns := queues/lua
NEEDS_queues/limits := queues/lua
NEEDS_queues/conversations := queues/lua
NEEDS_queues/reach := queues/lua
