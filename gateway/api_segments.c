/*
 * POST /v1/segments: how carriers will count a text (locales/segments.c),
 * the characters that forced UCS-2, and what substituting them would give.
 * Nothing is stored; nothing is audited.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/api_int.h"
#include "locales/segments.h"

static json_t *api_segments_json(const struct segments_result *r);

static json_t *
api_segments_json(const struct segments_result *r)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "encoding", segments_encoding_name(r->encoding), "segments",
	    (json_int_t)r->segments, "units", (json_int_t)r->units, "per_segment", (json_int_t)r->per_segment,
	    "characters", (json_int_t)r->characters);
}

void
api_segments_post(struct api_call *c)
{
	json_t *body = api_body_json(c), *text, *ans, *forced;
	struct segments_result r, s;
	char why[128], ch[8], cp[16];
	struct buf sub;

	if (body == NULL)
		return;
	text = json_object_get(body, "text");
	if (!json_is_string(text)) {
		api_error(c, 422, "invalid", "text", "text is required, as a string");
		goto out;
	}
	if (segments_count(json_string_value(text), json_string_length(text), &r, why, sizeof why) != 0) {
		api_error(c, 422, "invalid", "text", "text is %s", why);
		goto out;
	}
	ans = api_segments_json(&r);
	forced = json_array();
	for (size_t i = 0; i < r.nforced; i++) {
		size_t n = utf8_encode(r.forced[i].cp, ch);

		ch[n] = '\0';
		snprintf(cp, sizeof cp, "U+%04X", (unsigned)r.forced[i].cp);
		json_array_append_new(forced,
		    json_pack("{s:s, s:s, s:I, s:o}", "character", ch, "code_point", cp, "count",
			(json_int_t)r.forced[i].count, "substitute",
			r.forced[i].substitute != NULL ? json_string(r.forced[i].substitute) : json_null()));
	}
	json_object_set_new(ans, "forced", forced);
	json_object_set_new(ans, "forced_more", json_boolean(r.forced_more));
	if (r.substitutable) {
		json_t *o;

		buf_init(&sub);
		segments_substitute(json_string_value(text), json_string_length(text), &sub);
		if (segments_count(sub.data != NULL ? sub.data : "", sub.len, &s, why, sizeof why) == 0) {
			o = api_segments_json(&s);
			json_object_set_new(o, "text", json_stringn(sub.data != NULL ? sub.data : "", sub.len));
			json_object_set_new(ans, "substitution", o);
		}
		buf_free(&sub);
	} else {
		json_object_set_new(ans, "substitution", json_null());
	}
	api_reply(c, 200, ans);
out:
	json_decref(body);
}
