# The modules each fuzz target exercises; it is linked with them and what they
# need (NEEDS_ in each layer's deps.mk), nothing else.
TEST_fuzz_config := gateway/config
TEST_fuzz_form := gateway/util/buf handlers/form handlers/signature
TEST_fuzz_json_scan := handlers/json_scan
TEST_fuzz_locale_guess := locales/locale_guess
TEST_fuzz_message := gateway/util/buf queues/message
TEST_fuzz_netaddr := gateway/util/netaddr
TEST_fuzz_phone := gateway/util/phone
TEST_fuzz_provider_answer := handlers/generic handlers/provider handlers/signature handlers/whatsapp
TEST_fuzz_redis_url := queues/redis_url
TEST_fuzz_twilio_answer := handlers/provider handlers/twilio
TEST_fuzz_twilio_webhook := gateway/util/buf handlers/form handlers/provider handlers/signature handlers/twilio_webhook
TEST_fuzz_whatsapp_webhook := gateway/util/buf handlers/provider handlers/signature handlers/whatsapp_webhook
TEST_fuzz_segments := gateway/util/buf locales/segments
TEST_fuzz_contacts_csv := handlers/contacts_csv
TEST_fuzz_template := handlers/template
TEST_fuzz_catalog := locales/catalog
TEST_fuzz_keywords := handlers/keywords locales/catalog
TEST_fuzz_reach_svg := handlers/reach_svg handlers/svg
