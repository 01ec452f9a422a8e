# The modules each unit test exercises; it is linked with them and what they
# need (NEEDS_ in each layer's deps.mk), nothing else.
TEST_test_backoff := queues/backoff
TEST_test_buf := gateway/util/buf
TEST_test_config := gateway/config handlers/provider handlers/twilio handlers/whatsapp
TEST_test_domain := gateway/util/domain
TEST_test_form := gateway/util/buf handlers/form
TEST_test_generic := handlers/generic handlers/provider
TEST_test_json_scan := handlers/json_scan
TEST_test_locale_guess := locales/locale_guess
TEST_test_message := gateway/util/domain queues/message
TEST_test_metrics := gateway/metrics gateway/util/buf
TEST_test_phone := gateway/util/phone
TEST_test_redis_url := queues/redis_url
TEST_test_segments := gateway/util/buf locales/segments
TEST_test_contacts_csv := handlers/contacts_csv
TEST_test_template := handlers/template
TEST_test_catalog := locales/catalog
TEST_test_route := gateway/route gateway/util/domain gateway/util/zone
TEST_test_signature := handlers/form handlers/signature
TEST_test_strset := gateway/util/strset
TEST_test_twilio := gateway/util/domain handlers/provider handlers/twilio
TEST_test_twilio_webhook := gateway/util/domain handlers/form handlers/provider handlers/signature handlers/twilio_webhook
TEST_test_whatsapp := handlers/provider handlers/signature handlers/whatsapp
TEST_test_zone := gateway/util/zone
TEST_test_whatsapp_webhook := handlers/provider handlers/signature handlers/whatsapp_webhook
TEST_test_normalise := handlers/normalise
TEST_test_keywords := handlers/keywords locales/catalog
