# What each module in gateway/ needs from other modules: the unit tests and
# fuzz targets link a module with exactly this (and what that needs in turn).
# Held to the layering of docs/design.md by scripts/check-layers.
NEEDS_gateway/config := gateway/config_api gateway/config_reach gateway/config_check gateway/config_provider gateway/util/xmalloc gateway/util/zone handlers/providers
NEEDS_gateway/config_api := gateway/util/domain gateway/util/netaddr gateway/util/xmalloc
NEEDS_gateway/dispatch := gateway/util/buf gateway/util/log gateway/util/xmalloc handlers/provider
NEEDS_gateway/gateway := locales/catalog gateway/api gateway/reach_gauges gateway/campaign_run gateway/import_resume gateway/responder gateway/throttle queues/store gateway/config gateway/dispatch gateway/http gateway/metrics gateway/route gateway/sender gateway/util/log gateway/util/xmalloc gateway/webhook queues/outbox queues/receipts queues/redis_url
NEEDS_gateway/http := gateway/http_conns gateway/util/buf gateway/util/log gateway/util/xmalloc
NEEDS_gateway/http_conns := gateway/metrics gateway/util/log gateway/util/xmalloc
NEEDS_gateway/metrics := gateway/util/buf gateway/util/domain gateway/util/log gateway/util/xmalloc
NEEDS_gateway/route := gateway/util/domain gateway/util/xmalloc gateway/util/zone
NEEDS_gateway/sender := gateway/dispatch gateway/throttle gateway/metrics gateway/route gateway/util/log gateway/util/xmalloc handlers/provider queues/outbox queues/outbox_record
NEEDS_gateway/webhook := gateway/http gateway/metrics gateway/util/buf gateway/util/domain gateway/util/log gateway/util/phone gateway/util/xmalloc handlers/provider locales/locale_guess queues/receipts
NEEDS_gateway/api := gateway/console gateway/console_session gateway/console_signin gateway/api_reach gateway/api_reach_funnel gateway/api_reach_verify gateway/api_campaigns gateway/api_inbox gateway/api_messages gateway/api_campaigns_rw gateway/api_contacts gateway/api_contacts_rw gateway/api_segments gateway/util/phone queues/cmdargs queues/store gateway/config_api gateway/util/domain gateway/util/log gateway/util/xmalloc
NEEDS_gateway/api_segments := gateway/api gateway/util/buf locales/segments
NEEDS_gateway/api_contacts := gateway/api gateway/util/log gateway/util/phone gateway/util/xmalloc handlers/contacts_csv queues/cmdargs queues/contacts queues/store
NEEDS_gateway/api_contacts_rw := gateway/api gateway/util/buf gateway/util/phone gateway/util/xmalloc gateway/util/zone handlers/contacts_csv handlers/contacts_query queues/cmdargs queues/contacts queues/contacts_search queues/store
NEEDS_gateway/campaign_run := gateway/util/buf gateway/util/log gateway/util/xmalloc handlers/template locales/fallback locales/segments queues/campaigns queues/cmdargs queues/store
NEEDS_gateway/api_campaigns := locales/catalog gateway/api gateway/api_campaigns_rw gateway/util/domain gateway/util/xmalloc gateway/util/zone handlers/template locales/fallback queues/campaigns queues/cmdargs queues/store
NEEDS_gateway/api_campaigns_rw := gateway/api gateway/util/buf gateway/util/xmalloc gateway/util/zone handlers/template locales/fallback locales/segments queues/campaigns queues/cmdargs queues/store
NEEDS_gateway/config_check := gateway/util/phone gateway/util/zone gateway/config
NEEDS_gateway/throttle := gateway/util/log gateway/util/xmalloc queues/cmdargs queues/limits queues/store
NEEDS_gateway/api_messages := gateway/api gateway/util/domain gateway/util/phone gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/store
NEEDS_gateway/api_inbox := gateway/api gateway/api_messages gateway/util/phone gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/conversations queues/store
NEEDS_gateway/responder := gateway/util/log gateway/util/xmalloc gateway/util/zone handlers/keywords handlers/responder queues/cmdargs queues/conversations queues/store
NEEDS_gateway/config_provider :=
NEEDS_gateway/import_resume := gateway/util/log gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/contacts queues/store
NEEDS_gateway/config_reach := gateway/util/domain gateway/util/xmalloc handlers/reach_report
NEEDS_gateway/api_reach := gateway/config_reach gateway/util/buf gateway/util/domain gateway/util/xmalloc gateway/util/zone handlers/reach_period handlers/reach_report handlers/reach_svg queues/cmdargs queues/reach queues/store
NEEDS_gateway/api_reach_funnel := gateway/api_reach gateway/util/xmalloc handlers/reach_period handlers/reach_report queues/cmdargs queues/keys queues/reach queues/store
NEEDS_gateway/api_reach_verify := gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/reach queues/store
NEEDS_gateway/reach_gauges := gateway/api_reach gateway/util/buf gateway/util/log gateway/util/xmalloc handlers/reach_period handlers/reach_report queues/cmdargs queues/reach queues/store
NEEDS_gateway/console := gateway/api gateway/console_session gateway/http gateway/util/xmalloc locales/catalog
NEEDS_gateway/console_session := gateway/api gateway/config_api gateway/util/domain gateway/util/log gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/store
NEEDS_gateway/console_signin := gateway/api gateway/console_session gateway/config_api gateway/metrics gateway/util/domain gateway/util/log gateway/util/netaddr gateway/util/xmalloc gateway/util/zone queues/cmdargs queues/store
