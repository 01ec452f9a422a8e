# What each module in handlers/ needs from other modules: the unit tests and
# fuzz targets link a module with exactly this (and what that needs in turn).
# Held to the layering of docs/design.md by scripts/check-layers.
NEEDS_handlers/form := gateway/util/buf gateway/util/xmalloc
NEEDS_handlers/generic := gateway/util/buf gateway/util/domain gateway/util/phone gateway/util/xmalloc handlers/json_scan handlers/provider handlers/signature
NEEDS_handlers/json_scan :=
NEEDS_handlers/provider := gateway/util/buf gateway/util/xmalloc
NEEDS_handlers/providers := handlers/generic handlers/twilio handlers/whatsapp
NEEDS_handlers/signature := gateway/util/buf gateway/util/xmalloc
NEEDS_handlers/twilio := gateway/util/buf gateway/util/domain gateway/util/xmalloc handlers/json_scan handlers/provider handlers/twilio_webhook
NEEDS_handlers/twilio_webhook := gateway/util/buf gateway/util/domain gateway/util/phone gateway/util/xmalloc handlers/form handlers/provider handlers/signature
NEEDS_handlers/whatsapp := gateway/util/buf gateway/util/domain gateway/util/xmalloc handlers/provider handlers/whatsapp_webhook
NEEDS_handlers/whatsapp_webhook := gateway/util/buf gateway/util/domain gateway/util/phone gateway/util/xmalloc handlers/form handlers/provider handlers/signature
NEEDS_handlers/csv := gateway/util/buf gateway/util/xmalloc
NEEDS_handlers/contacts_query := gateway/util/buf gateway/util/phone gateway/util/xmalloc handlers/contacts_csv
NEEDS_handlers/contacts_csv := handlers/charset gateway/util/buf gateway/util/phone gateway/util/xmalloc gateway/util/zone handlers/csv
NEEDS_handlers/template := gateway/util/buf
NEEDS_handlers/charset := gateway/util/buf
NEEDS_handlers/normalise := gateway/util/buf gateway/util/xmalloc
NEEDS_handlers/keywords := gateway/util/buf gateway/util/xmalloc handlers/keywords_match handlers/normalise locales/catalog
NEEDS_handlers/keywords_match := gateway/util/buf gateway/util/xmalloc handlers/keywords handlers/normalise locales/fallback locales/locale_guess
NEEDS_handlers/responder := gateway/util/buf gateway/util/zone handlers/keywords handlers/template locales/catalog locales/fallback
NEEDS_handlers/reach_report := gateway/util/buf gateway/util/xmalloc handlers/reach_dhis2
NEEDS_handlers/reach_dhis2 := gateway/util/buf gateway/util/xmalloc handlers/reach_report
NEEDS_handlers/reach_period :=
NEEDS_handlers/svg := gateway/util/buf
NEEDS_handlers/reach_svg := gateway/util/buf gateway/util/xmalloc handlers/reach_period handlers/reach_report handlers/reach_svg_draw handlers/svg locales/catalog
NEEDS_handlers/reach_svg_draw := gateway/util/buf gateway/util/xmalloc handlers/reach_svg handlers/svg
