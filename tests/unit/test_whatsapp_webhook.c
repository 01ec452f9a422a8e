/*
 * Unit tests for handlers/whatsapp_webhook.c: the verification handshake,
 * status and inbound notifications as Meta sends them (every example of the
 * v23.0 description included), and the answer to each kind of bad request,
 * with errors that name a JSON path and never quote a number or a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/whatsapp_webhook.h"

#define SECRET "app-secret"
#define VERIFY "verify-me-1234"

/* Payloads are written with ' for " to stay readable; payload() swaps them. */
#define HEAD "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{"
#define META                                                                                                           \
	"'messaging_product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'1065'},"
#define TAIL "},'field':'messages'}]}]}"

struct request {
	struct provider_webhook_request wr;
	char *body;
	char sig[SIGNATURE_META_LEN];
	const char *sig_header; /* what X-Hub-Signature-256 says, NULL for none */
	struct provider_events ev;
	char err[256];
};

/* Every example payload of the /whatsapp/webhooks path in whatsapp-business-messaging-api_v23.0.yaml. */
static const struct {
	const char *name;
	const char *json;
	const char *type; /* of the one inbound message, NULL for none */
	const char *text;
	long long time_s;
} spec_examples[] = {
	{ "Text Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=','timestamp':'1749416383','type':'text','text':{'"
	    "body':'Does it come in another color?'}}]},'field':'messages'}]}]}",
	    "text", "Does it come in another color?", 1749416383LL },
	{ "Text Message with Context Product Inquiry",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'context':{'from':'15550783881','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA','referred_product':{'catalog_id':'194836987003835','"
	    "product_retailer_id':'di9ozbzfi4'}},'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=','timestamp':'1750016800','text':{'body':'Is "
	    "this still available?'},'type':'text'}]},'field':'messages'}]}]}",
	    "text", "Is this still available?", 1750016800LL },
	{ "Text Message from Click to WhatsApp Ad",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'referral':{'source_url':'https://fb.me/"
	    "3cr4Wqqkv','source_id':'120226305854810726','source_type':'ad','body':'Summer Succulents are "
	    "here!','headline':'Chat with "
	    "us','media_type':'image','image_url':'https://scontent.xx.fbcdn.net/v/"
	    "t45.1...','ctwa_clid':'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_"
	    "0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50','welcome_message':{'"
	    "text':'Hi there! Let us know how we can "
	    "help!'}},'from':'16505551234','id':'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=','"
	    "timestamp':'1750275992','text':{'body':'Hello! Can I get more info on "
	    "this?'},'type':'text'}]},'field':'messages'}]}]}",
	    "text", "Hello! Can I get more info on this?", 1750275992LL },
	{ "Reaction Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=','timestamp':'1749419544','type':'reaction','"
	    "reaction':{'message_id':'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA','emoji':'"
	    "\xf0\x9f\x91\x8d'}}]},'field':'messages'}]}]}",
	    "reaction", "", 1749419544LL },
	{ "Image Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=','timestamp':'1744344496','type':'image','image':"
	    "{'caption':'Taj "
	    "Mahal','mime_type':'image/"
	    "jpeg','sha256':'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=','id':'1003383421387256'}}]},'field':'"
	    "messages'}]}]}",
	    "image", "", 1744344496LL },
	{ "Location Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTU2MjZEMDBGRkE3MENEMDE0RQA=','timestamp':'1744344496','location':{'address':'"
	    "101 Forest Ave, Palo Alto, CA 94301','latitude':37.44221496582,'longitude':-122.16165924072,'name':'Philz "
	    "Coffee','url':'https://philzcoffee.com/'},'type':'location'}]},'field':'messages'}]}]}",
	    "location", "", 1744344496LL },
	{ "Contact Sharing Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=','timestamp':'1744344496','type':'contacts','"
	    "contacts':[{'name':{'first_name':'Luc\xc3\xad"
	    "a','last_name':'G\xc3\xb3mez','formatted_name':'Luc\xc3\xad"
	    "a G\xc3\xb3mez'},'org':{'company':'Google'},'phones':[{'phone':'+1 (983) "
	    "555-2319','wa_id':'19835552319','type':'MOBILE'}]}]}]},'field':'messages'}]}]}",
	    "contacts", "", 1744344496LL },
	{ "Unsupported Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTQyMDU1NTA3NDkVAgASGBI5N0MwRjg0RTVBNUI1RDA2OTkA','timestamp':'1750090702','errors':[{'code':131051,'"
	    "title':'Message type unknown','message':'Message type unknown','error_data':{'details':'Message type is "
	    "currently not supported.'}}],'type':'unsupported'}]},'field':'messages'}]}]}",
	    "unsupported", "", 1750090702LL },
	{ "Button Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'context':{'from':'15550783881','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA'},'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUU0M0MxQzQzMUJCMTMwNUZFOQA=','timestamp':'1750091045','type':'button','"
	    "button':{'payload':'Unsubscribe','text':'Unsubscribe'}}]},'field':'messages'}]}]}",
	    "button", "Unsubscribe", 1750091045LL },
	{ "Interactive List Reply Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'context':{'from':'15550783881','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA'},'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUJDQ0NDM0FEODY4ODkzOTc5RgA=','timestamp':'1749854575','type':'interactive','"
	    "interactive':{'type':'list_reply','list_reply':{'id':'priority_express','title':'Priority Mail "
	    "Express','description':'Next Day to 2 Days'}}}]},'field':'messages'}]}]}",
	    "interactive", "Priority Mail Express", 1749854575LL },
	{ "Interactive Button Reply Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'context':{'from':'15550783881','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA'},'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=','timestamp':'1750025136','type':'interactive','"
	    "interactive':{'type':'button_reply','button_reply':{'id':'cancel-button','title':'Cancel'}}}]},'field':'"
	    "messages'}]}]}",
	    "interactive", "Cancel", 1750025136LL },
	{ "Order Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'419561257915477','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'contacts':[{'profile':{'name':'Sheena "
	    "Nelson'},'wa_id':'16505551234'}],'messages':[{'from':'16505551234','id':'wamid."
	    "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTEyQjFGNzI1QTQxMjI5QTMyOQA=','timestamp':'1750096325','type':'order','order':"
	    "{'catalog_id':'194836987003835','text':'','product_items':[{'product_retailer_id':'di9ozbzfi4','quantity':"
	    "2,'item_price':30,'currency':'USD'},{'product_retailer_id':'nqryix03ez','quantity':1,'item_price':25,'"
	    "currency':'USD'}]}}]},'field':'messages'}]}]}",
	    "order", "", 1750096325LL },
	{ "System Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'messages':[{'from':'16505551234','id':'wamid.HBgLMTk4MzU1NTE5NzQVAgASGAoxMTgyMDg2MjY3AA==','timestamp':'"
	    "1750269342','system':{'body':'User Sheena Nelson changed from 16505551234 to "
	    "12195555358','wa_id':'12195555358','type':'user_changed_number'},'type':'system'}]},'field':'messages'}]}]"
	    "}",
	    "system", "", 1750269342LL },
	{ "Group Create Message",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'groups':[{'timestamp':'1750269342','group_id':'Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD'"
	    ",'type':'group_create','request_id':'784D93D0C468593037EA0B1ECA245D9C','subject':'your-group-subject','"
	    "description':'your-group-description','added_participants':[{'input':16505551234,'wa_id':16505551234},{'"
	    "input':16505551235,'wa_id':16505551235}]}]},'field':'group_lifecycle_update'}]}]}",
	    NULL, NULL, 0 },
	{ "Group Settings Update",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'groups':[{'timestamp':'1750269342','group_id':'Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD'"
	    ",'type':'group_settings_update','request_id':'784D93D0C468593037EA0B1ECA245D9C','profile_picture':{'mime_"
	    "type':'image/jpeg','sha256':'SfInY0gGKTsJlUWbwxC1k+FAD0FZHv'}}]},'field':'group_settings_update'}]}]}",
	    NULL, NULL, 0 },
	{ "Group Remove Participants",
	    "{'object':'whatsapp_business_account','entry':[{'id':'102290129340398','changes':[{'value':{'messaging_"
	    "product':'whatsapp','metadata':{'display_phone_number':'15550783881','phone_number_id':'106540352242922'},"
	    "'groups':[{'timestamp':'1750269342','group_id':'Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD'"
	    ",'type':'group_create','request_id':'784D93D0C468593037EA0B1ECA245D9C','removed_participants':[{'input':"
	    "16505551234,'wa_id':16505551234},{'input':16505551235,'wa_id':16505551235}]}]},'field':'group_"
	    "participants_update'}]}]}",
	    NULL, NULL, 0 },
};

static const char *header(void *arg, const char *name);
static char *payload(const char *s);
static void post(struct request *r, const char *json);
static void get(struct request *r, const char *query);
static enum provider_webhook_result run(struct request *r);
static void done(struct request *r);
static void malformed(const char *json, const char *want_err);
static void test_handshake(void **state);
static void test_handshake_refused(void **state);
static void test_statuses(void **state);
static void test_inbound(void **state);
static void test_spec_examples(void **state);
static void test_several_entries(void **state);
static void test_truncated_json(void **state);
static void test_invalid_utf8(void **state);
static void test_wrong_object(void **state);
static void test_wrong_types(void **state);
static void test_bad_from(void **state);
static void test_rollback(void **state);
static void test_unsigned(void **state);
static void test_tampered(void **state);
static void test_content_type(void **state);
static void test_route_and_method(void **state);

static const char *
header(void *arg, const char *name)
{
	struct request *r = arg;

	return strcasecmp(name, "X-Hub-Signature-256") == 0 ? r->sig_header : NULL;
}

static char *
payload(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	for (char *q = p; *q != '\0'; q++)
		if (*q == '\'')
			*q = '"';
	return p;
}

/* A POST of json (with ' for ") signed with SECRET. */
static void
post(struct request *r, const char *json)
{
	memset(r, 0, sizeof *r);
	r->body = payload(json);
	r->wr.method = "POST";
	r->wr.route = "";
	r->wr.url = "https://gw.example.ma/webhooks/whatsapp";
	r->wr.query = "";
	r->wr.content_type = "application/json";
	r->wr.header = header;
	r->wr.header_arg = r;
	r->wr.body = r->body;
	r->wr.body_len = strlen(r->body);
	signature_meta(SECRET, r->body, r->wr.body_len, r->sig);
	r->sig_header = r->sig;
	provider_events_init(&r->ev);
}

static void
get(struct request *r, const char *query)
{
	memset(r, 0, sizeof *r);
	r->wr.method = "GET";
	r->wr.route = "";
	r->wr.url = "https://gw.example.ma/webhooks/whatsapp";
	r->wr.query = query;
	r->wr.content_type = "";
	r->wr.header = header;
	r->wr.header_arg = r;
	provider_events_init(&r->ev);
}

static enum provider_webhook_result
run(struct request *r)
{
	r->err[0] = '\0';
	return whatsapp_webhook_parse(SECRET, VERIFY, &r->wr, &r->ev, r->err, sizeof r->err);
}

static void
done(struct request *r)
{
	provider_events_free(&r->ev);
	free(r->body);
	r->body = NULL;
}

static void
malformed(const char *json, const char *want_err)
{
	struct request r;

	post(&r, json);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(r.err, want_err);
	assert_int_equal(r.ev.nstatus, 0);
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
}

static void
test_handshake(void **state)
{
	struct request r;

	(void)state;
	get(&r, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" VERIFY);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_string_equal(r.ev.reply.data, "1158201444");
	assert_int_equal(r.ev.reply.len, 10);
	assert_string_equal(r.ev.reply_type, "text/plain");
	assert_int_equal(r.ev.nstatus + r.ev.ninbound, 0);
	done(&r);
	/* Encoded the way any HTTP client may encode it. */
	get(&r, "hub.verify_token=verify%2Dme%2D1234&hub.challenge=a+b%21&hub.mode=subscribe");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_string_equal(r.ev.reply.data, "a b!");
	done(&r);
}

static void
test_handshake_refused(void **state)
{
	static const struct {
		const char *query;
		enum provider_webhook_result want;
	} cases[] = {
		{ "hub.mode=subscribe&hub.challenge=42&hub.verify_token=verify-me-123", PROVIDER_WEBHOOK_FORBIDDEN },
		{ "hub.mode=subscribe&hub.challenge=42&hub.verify_token=verify-me-12345", PROVIDER_WEBHOOK_FORBIDDEN },
		{ "hub.mode=subscribe&hub.challenge=42&hub.verify_token=", PROVIDER_WEBHOOK_FORBIDDEN },
		{ "hub.mode=subscribe&hub.challenge=42&hub.verify_token=verify-me-1234%00",
		    PROVIDER_WEBHOOK_FORBIDDEN },
		{ "hub.mode=subscribe&hub.challenge=42", PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=subscribe&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=subscribe&hub.challenge=&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=unsubscribe&hub.challenge=42&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.challenge=42&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=subscribe&hub.challenge=4%0A2&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=subscribe&hub.challenge=%3C%FF&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "hub.mode=subscribe&hub.challenge=4%2&hub.verify_token=" VERIFY, PROVIDER_WEBHOOK_MALFORMED },
		{ "", PROVIDER_WEBHOOK_MALFORMED },
	};
	char query[512];
	struct request r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		get(&r, cases[i].query);
		if (run(&r) != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].query, run(&r), cases[i].want, r.err);
		assert_int_equal(r.ev.reply.len, 0);
		assert_null(r.ev.reply_type);
		assert_null(strstr(r.err, "verify-me"));
		done(&r);
	}
	/* A challenge of 256 bytes is echoed, one more is refused. */
	snprintf(query, sizeof query, "hub.mode=subscribe&hub.verify_token=%s&hub.challenge=%0256d", VERIFY, 7);
	get(&r, query);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_int_equal(r.ev.reply.len, 256);
	done(&r);
	snprintf(query, sizeof query, "hub.mode=subscribe&hub.verify_token=%s&hub.challenge=%0257d", VERIFY, 7);
	get(&r, query);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	done(&r);
	/* Without a configured token nothing verifies, not even an empty one. */
	get(&r, "hub.mode=subscribe&hub.challenge=42&hub.verify_token=");
	assert_int_equal(
	    whatsapp_webhook_parse(SECRET, "", &r.wr, &r.ev, r.err, sizeof r.err), PROVIDER_WEBHOOK_FORBIDDEN);
	done(&r);
	get(&r, "hub.mode=subscribe&hub.challenge=42&hub.verify_token=x");
	assert_int_equal(
	    whatsapp_webhook_parse(SECRET, NULL, &r.wr, &r.ev, r.err, sizeof r.err), PROVIDER_WEBHOOK_FORBIDDEN);
	done(&r);
}

static void
test_statuses(void **state)
{
	struct request r;

	(void)state;
	post(&r,
	    HEAD META "'statuses':["
		      "{'id':'wamid.AAA','status':'sent','timestamp':'1750263773','recipient_id':'212612345678',"
		      "'conversation':{'id':'c1','expiration_timestamp':'1750349520','origin':{'type':'marketing'}},"
		      "'pricing':{'billable':true,'pricing_model':'PMP','category':'marketing'}},"
		      "{'id':'wamid.BBB','status':'delivered','timestamp':'1750263774','recipient_id':'212612345678'},"
		      "{'id':'wamid.CCC','status':'read','timestamp':'1750263775','recipient_id':'212612345678'},"
		      "{'id':'wamid.DDD','status':'failed','timestamp':'1750263776','recipient_id':'212612345678',"
		      "'errors':[{'code':131026,'title':'Message undeliverable','message':'Message undeliverable',"
		      "'error_data':{'details':'Message Undeliverable.'},"
		      "'href':'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/'}]},"
		      "{'id':'wamid.EEE','status':'deleted','timestamp':'1750263777','recipient_id':'212612345678'},"
		      "{'id':'wamid.FFF','status':'warning','recipient_id':'212612345678','errors':[]},"
		      "{'id':'wamid.GGG','status':'failed','timestamp':'1750263778','recipient_id':'212612345678',"
		      "'errors':[{'code':131050,'title':'User has stopped marketing messages'}]},"
		      "{'id':'wamid.HHH','status':'failed','timestamp':'1750263779','recipient_id':'212612345678',"
		      "'errors':[{'code':131049,'title':'Meta chose not to deliver.'}]}"
		      "]" TAIL);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_int_equal(r.ev.nstatus, 8);
	assert_int_equal(r.ev.ninbound, 0);
	assert_string_equal(r.ev.status[0].provider_id, "wamid.AAA");
	assert_int_equal(r.ev.status[0].status, DELIVERY_SENT);
	assert_int_equal(r.ev.status[0].time_s, 1750263773LL);
	assert_string_equal(r.ev.status[0].error, "");
	assert_int_equal(r.ev.status[1].status, DELIVERY_DELIVERED);
	assert_int_equal(r.ev.status[2].status, DELIVERY_READ);
	assert_string_equal(r.ev.status[3].provider_id, "wamid.DDD");
	assert_int_equal(r.ev.status[3].status, DELIVERY_UNDELIVERED);
	assert_string_equal(r.ev.status[3].error, "131026");
	assert_int_equal(r.ev.status[3].time_s, 1750263776LL);
	assert_int_equal(r.ev.status[4].status, DELIVERY_NONE);
	assert_int_equal(r.ev.status[5].status, DELIVERY_NONE);
	assert_int_equal(r.ev.status[5].time_s, 0);
	/* The person stopped marketing messages: said with the status, for their contact record. */
	for (size_t i = 0; i < 6; i++)
		assert_false(r.ev.status[i].optout);
	assert_int_equal(r.ev.status[6].status, DELIVERY_UNDELIVERED);
	assert_string_equal(r.ev.status[6].error, "131050");
	assert_true(r.ev.status[6].optout);
	/* Held back by Meta's per-person marketing limit: not delivered, and no opt-out. */
	assert_int_equal(r.ev.status[7].status, DELIVERY_UNDELIVERED);
	assert_string_equal(r.ev.status[7].error, "131049");
	assert_false(r.ev.status[7].optout);
	assert_int_equal(r.ev.reply.len, 0);
	assert_null(r.ev.reply_type);
	done(&r);
}

static void
test_inbound(void **state)
{
	struct request r;

	(void)state;
	post(&r,
	    HEAD META
	    "'contacts':[{'profile':{'name':'Y'},'wa_id':'212612345678'}],'messages':["
	    "{'from':'212612345678','id':'wamid.T1','timestamp':'1750091045','type':'text',"
	    "'text':{'body':'Salam, bghit n3ref \\u0633\\u0644\\u0627\\u0645 \\\\o/ \\'ok\\''}},"
	    "{'from':'212612345678','id':'wamid.B1','timestamp':'1750091046','type':'button',"
	    "'button':{'payload':'STOP_PAYLOAD','text':'Stop'}},"
	    "{'from':'212612345678','id':'wamid.I1','timestamp':'1750091047','type':'interactive',"
	    "'interactive':{'type':'button_reply','button_reply':{'id':'yes-1','title':'Oui'}}},"
	    "{'from':'212612345678','id':'wamid.I2','timestamp':'1750091048','type':'interactive',"
	    "'interactive':{'type':'list_reply','list_reply':{'id':'c-3','title':'Casablanca','description':'x'}}},"
	    "{'from':'212612345678','id':'wamid.P1','timestamp':'1750091049','type':'image',"
	    "'image':{'caption':'photo','mime_type':'image/jpeg','sha256':'abc','id':'1003'}},"
	    "{'from':'212612345678','id':'wamid.F1','timestamp':'1750091050','type':'interactive',"
	    "'interactive':{'type':'nfm_reply','nfm_reply':{'response_json':'{}','body':'Sent','name':'flow'}}},"
	    "{'from':'212612345678','id':'wamid.X1','timestamp':'1750091051','type':'a_type_name_far_too_long'}"
	    "]" TAIL);
	if (run(&r) != PROVIDER_WEBHOOK_OK)
		fail_msg("%s", r.err);
	assert_int_equal(r.ev.ninbound, 7);
	assert_int_equal(r.ev.nstatus, 0);
	assert_string_equal(r.ev.inbound[0].provider_id, "wamid.T1");
	assert_string_equal(r.ev.inbound[0].from, "+212612345678");
	assert_string_equal(r.ev.inbound[0].type, "text");
	assert_string_equal(r.ev.inbound[0].text, "Salam, bghit n3ref \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \\o/ \"ok\"");
	assert_int_equal(r.ev.inbound[0].time_s, 1750091045LL);
	assert_string_equal(r.ev.inbound[1].type, "button");
	assert_string_equal(r.ev.inbound[1].text, "Stop");
	assert_string_equal(r.ev.inbound[2].type, "interactive");
	assert_string_equal(r.ev.inbound[2].text, "Oui");
	assert_string_equal(r.ev.inbound[3].type, "interactive");
	assert_string_equal(r.ev.inbound[3].text, "Casablanca");
	assert_string_equal(r.ev.inbound[4].type, "image");
	assert_string_equal(r.ev.inbound[4].text, "");
	assert_string_equal(r.ev.inbound[5].type, "interactive");
	assert_string_equal(r.ev.inbound[5].text, "");
	assert_string_equal(r.ev.inbound[6].type, "unknown");
	assert_string_equal(r.ev.inbound[6].provider_id, "wamid.X1");
	assert_int_equal(r.ev.reply.len, 0);
	assert_null(r.ev.reply_type);
	done(&r);
}

static void
test_spec_examples(void **state)
{
	struct request r;

	(void)state;
	for (size_t i = 0; i < sizeof spec_examples / sizeof spec_examples[0]; i++) {
		post(&r, spec_examples[i].json);
		if (run(&r) != PROVIDER_WEBHOOK_OK)
			fail_msg("%s: %s", spec_examples[i].name, r.err);
		assert_int_equal(r.ev.nstatus, 0);
		if (spec_examples[i].type == NULL) {
			assert_int_equal(r.ev.ninbound, 0);
		} else {
			assert_int_equal(r.ev.ninbound, 1);
			assert_string_equal(r.ev.inbound[0].from, "+16505551234");
			assert_string_equal(r.ev.inbound[0].type, spec_examples[i].type);
			assert_string_equal(r.ev.inbound[0].text, spec_examples[i].text);
			assert_int_equal(r.ev.inbound[0].time_s, spec_examples[i].time_s);
			assert_true(strncmp(r.ev.inbound[0].provider_id, "wamid.", 6) == 0);
		}
		done(&r);
	}
}

/* Several entries and changes, other fields skipped, events in order. */
static void
test_several_entries(void **state)
{
	struct request r;

	(void)state;
	post(&r,
	    "{'object':'whatsapp_business_account','entry':["
	    "{'id':'1','changes':[{'field':'account_update','value':{'event':'x','statuses':'not looked at'}},"
	    "{'field':'messages','value':{'statuses':[{'id':'wamid.1','status':'delivered','timestamp':'2'}]}}]},"
	    "{'id':'2','changes':[]},"
	    "{'id':'3','changes':[{'field':'messages','value':{'statuses':[{'id':'wamid.2','status':'read',"
	    "'timestamp':3}],'messages':[{'from':'33612345678','id':'wamid.3','timestamp':'4','type':'text',"
	    "'text':{'body':'merci'}}]}}]}]}");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_int_equal(r.ev.nstatus, 2);
	assert_string_equal(r.ev.status[0].provider_id, "wamid.1");
	assert_int_equal(r.ev.status[0].time_s, 2);
	assert_string_equal(r.ev.status[1].provider_id, "wamid.2");
	assert_int_equal(r.ev.status[1].status, DELIVERY_READ);
	assert_int_equal(r.ev.status[1].time_s, 3);
	assert_int_equal(r.ev.ninbound, 1);
	assert_string_equal(r.ev.inbound[0].from, "+33612345678");
	assert_string_equal(r.ev.inbound[0].text, "merci");
	done(&r);
	/* Nothing to record is still a 200. */
	post(&r, "{'object':'whatsapp_business_account','entry':[]}");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
	assert_int_equal(r.ev.nstatus + r.ev.ninbound, 0);
	done(&r);
}

static void
test_truncated_json(void **state)
{
	char json[512];
	struct request r;

	(void)state;
	snprintf(json, sizeof json, "%s", spec_examples[0].json);
	json[strlen(json) / 2] = '\0';
	post(&r, json);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_non_null(strstr(r.err, "body: invalid JSON at line 1 column "));
	/* The position, not the content. */
	assert_null(strstr(r.err, "near"));
	assert_null(strstr(r.err, "wamid"));
	assert_null(strstr(r.err, "16505551234"));
	assert_null(strstr(r.err, "Sheena"));
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
	post(&r, "");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	done(&r);
	post(&r, "{'object':'whatsapp_business_account','entry':[]} trailing secret");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_null(strstr(r.err, "secret"));
	done(&r);
	post(&r,
	    "{'object':'whatsapp_business_account','entry':[{'changes':[{'field':'messages','value':"
	    "{'messages':[{'text':{'body':'my secret \\u0000 text'}}]}}]}]}");
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_null(strstr(r.err, "secret"));
	done(&r);
}

static void
test_invalid_utf8(void **state)
{
	struct request r;

	(void)state;
	post(&r,
	    HEAD META "'messages':[{'from':'212612345678','id':'wamid.1','timestamp':'1','type':'text',"
		      "'text':{'body':'caf\xe9'}}]" TAIL);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(r.err, "body: not valid UTF-8");
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
}

static void
test_wrong_object(void **state)
{
	(void)state;
	malformed("{'object':'page','entry':[]}", "object: not whatsapp_business_account");
	malformed("{'entry':[]}", "object: missing");
	malformed("{'object':1,'entry':[]}", "object: not a string");
	malformed("[]", "body: not a JSON object");
	malformed("{'object':'whatsapp_business_account'}", "entry: missing");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	malformed("{'object':'whatsapp_business_account','entry':{}}", "entry: not an array");
	malformed("{'object':'whatsapp_business_account','entry':[1]}", "entry[0]: not an object");
	malformed("{'object':'whatsapp_business_account','entry':[{'id':'1'}]}", "entry[0].changes: missing");
	malformed("{'object':'whatsapp_business_account','entry':[{'id':'1','changes':[[]]}]}",
	    "entry[0].changes[0]: not an object");
	malformed("{'object':'whatsapp_business_account','entry':[{'id':'1','changes':[{'field':7,'value':{}}]}]}",
	    "entry[0].changes[0].field: not a string");
	malformed("{'object':'whatsapp_business_account','entry':[{'id':'1','changes':[{'field':'messages'}]}]}",
	    "entry[0].changes[0].value: missing");
	malformed(HEAD "'statuses':{}" TAIL, "entry[0].changes[0].value.statuses: not an array");
	malformed(
	    "{'object':'whatsapp_business_account','entry':[{'id':'1','changes':[{'field':'group_lifecycle_update',"
	    "'value':{}},{'field':'messages','value':{'statuses':[{'id':42,'status':'sent'}]}}]}]}",
	    "entry[0].changes[1].value.statuses[0].id: not a string");
	malformed(HEAD "'statuses':['x']" TAIL, "entry[0].changes[0].value.statuses[0]: not an object");
	malformed(HEAD "'statuses':[{'id':'w','timestamp':'1'}]" TAIL,
	    "entry[0].changes[0].value.statuses[0].status: missing");
	malformed(
	    HEAD "'statuses':[{'id':'','status':'sent'}]" TAIL, "entry[0].changes[0].value.statuses[0].id: empty");
	malformed(HEAD "'statuses':[{'id':'w','status':'sent','timestamp':true}]" TAIL,
	    "entry[0].changes[0].value.statuses[0].timestamp: not a string");
	malformed(HEAD "'statuses':[{'id':'w','status':'sent','timestamp':'12:00'}]" TAIL,
	    "entry[0].changes[0].value.statuses[0].timestamp: not epoch seconds");
	malformed(HEAD "'statuses':[{'id':'w','status':'failed','errors':[{'code':'131026'}]}]" TAIL,
	    "entry[0].changes[0].value.statuses[0].errors[0].code: not an integer");
	malformed(HEAD "'statuses':[{'id':'w','status':'failed','errors':{'code':1}}]" TAIL,
	    "entry[0].changes[0].value.statuses[0].errors: not an array");
	malformed(HEAD
	    "'messages':[{'from':'212612345678','id':'w','timestamp':'1','type':'text','text':{'body':5}}]" TAIL,
	    "entry[0].changes[0].value.messages[0].text.body: not a string");
	malformed(HEAD "'messages':[{'from':'212612345678','id':'w','timestamp':'1','type':'text'}]" TAIL,
	    "entry[0].changes[0].value.messages[0].text: missing");
	malformed(HEAD "'messages':[{'from':'212612345678','id':'w','timestamp':'1'}]" TAIL,
	    "entry[0].changes[0].value.messages[0].type: missing");
	malformed(HEAD "'messages':[{'from':'212612345678','id':'w','type':'button','button':'Stop'}]" TAIL,
	    "entry[0].changes[0].value.messages[0].button: not an object");
	malformed(HEAD "'messages':[{'from':'212612345678','id':'w','type':'interactive','interactive':"
		       "{'button_reply':{'title':['Oui']}}}]" TAIL,
	    "entry[0].changes[0].value.messages[0].interactive.button_reply.title: not a string");
	malformed(HEAD "'messages':[{'from':212612345678,'id':'w','type':'text','text':{'body':'x'}}]" TAIL,
	    "entry[0].changes[0].value.messages[0].from: not a string");
	malformed(HEAD "'messages':[{'from':'212612345678','type':'text','text':{'body':'x'}}]" TAIL,
	    "entry[0].changes[0].value.messages[0].id: missing");
}

/* A sender that is not a valid number: the reason, never the number. */
static void
test_bad_from(void **state)
{
	static const char *const froms[] = { "+212612345678", "2120612345678", "21261234567", "0612345678",
		"212 612345678", "1234567890123456", "" };
	char json[512];
	struct request r;

	(void)state;
	for (size_t i = 0; i < sizeof froms / sizeof froms[0]; i++) {
		snprintf(json, sizeof json,
		    HEAD "'messages':[{'from':'%s','id':'w','type':'text','text':{'body':'x'}}]" TAIL, froms[i]);
		post(&r, json);
		assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
		assert_non_null(strstr(r.err, "entry[0].changes[0].value.messages[0].from: "));
		assert_null(strstr(r.err, "612345678"));
		assert_null(strstr(r.err, "1234567"));
		done(&r);
	}
}

/* A payload refused half-way leaves no events behind, and keeps those already there. */
static void
test_rollback(void **state)
{
	struct request r;

	(void)state;
	post(&r,
	    HEAD "'statuses':[{'id':'wamid.1','status':'sent'}],"
		 "'messages':[{'from':'212612345678','id':'wamid.2','type':'text','text':{'body':'x'}},"
		 "{'from':'212612345678','id':'wamid.3','type':'text','text':{}}]" TAIL);
	provider_events_add_status(&r.ev);
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(r.err, "entry[0].changes[0].value.messages[1].text.body: missing");
	assert_int_equal(r.ev.nstatus, 1);
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
}

static void
test_unsigned(void **state)
{
	struct request r;

	(void)state;
	post(&r, spec_examples[0].json);
	r.sig_header = NULL;
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(r.ev.ninbound, 0);
	r.wr.header = NULL;
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	done(&r);
	post(&r, spec_examples[0].json);
	assert_int_equal(
	    whatsapp_webhook_parse("", VERIFY, &r.wr, &r.ev, r.err, sizeof r.err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(whatsapp_webhook_parse("other-secret", VERIFY, &r.wr, &r.ev, r.err, sizeof r.err),
	    PROVIDER_WEBHOOK_UNSIGNED);
	done(&r);
	/* The signature comes before the JSON: a forged broken body is a 401. */
	post(&r, "{not json");
	r.sig_header = "sha256=0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	done(&r);
	post(&r, spec_examples[0].json);
	r.sig[40] = '\0';
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	done(&r);
}

static void
test_tampered(void **state)
{
	char sig[SIGNATURE_META_LEN];
	struct request r;
	char *p;

	(void)state;
	post(&r, spec_examples[0].json);
	memcpy(sig, r.sig, sizeof sig);
	p = strstr(r.body, "another color");
	assert_non_null(p);
	p[0] = 'A';
	r.sig_header = sig;
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
	/* A status signed for one message does not verify for another. */
	post(&r, HEAD "'statuses':[{'id':'wamid.1','status':'failed'}]" TAIL);
	memcpy(sig, r.sig, sizeof sig);
	done(&r);
	post(&r, HEAD "'statuses':[{'id':'wamid.1','status':'read'}]" TAIL);
	r.sig_header = sig;
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_UNSIGNED);
	done(&r);
}

static void
test_content_type(void **state)
{
	static const char *const good[] = { "application/json", "application/json; charset=UTF-8", "Application/JSON" };
	static const char *const bad[] = { "", "text/plain", "application/x-www-form-urlencoded", "application/jsonp",
		"application/json-patch+json", NULL };
	struct request r;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		post(&r, spec_examples[0].json);
		r.wr.content_type = good[i];
		assert_int_equal(run(&r), PROVIDER_WEBHOOK_OK);
		done(&r);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		post(&r, spec_examples[0].json);
		r.wr.content_type = bad[i];
		assert_int_equal(run(&r), PROVIDER_WEBHOOK_MEDIA_TYPE);
		assert_int_equal(r.ev.ninbound, 0);
		done(&r);
	}
}

static void
test_route_and_method(void **state)
{
	struct request r;

	(void)state;
	post(&r, spec_examples[0].json);
	r.wr.route = "/status";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_NOT_FOUND);
	r.wr.route = "/";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_NOT_FOUND);
	r.wr.route = "";
	r.wr.method = "PUT";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_METHOD);
	r.wr.method = "DELETE";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_METHOD);
	assert_int_equal(r.ev.ninbound, 0);
	done(&r);
	get(&r, "hub.mode=subscribe&hub.challenge=42&hub.verify_token=" VERIFY);
	r.wr.route = "/inbound";
	assert_int_equal(run(&r), PROVIDER_WEBHOOK_NOT_FOUND);
	done(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_handshake_refused),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_several_entries),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_wrong_object),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_from),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_route_and_method),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
