/*
 * One scanner for both checking and rendering, so that what was checked
 * is exactly what is rendered. A placeholder name is 1 to 32 letters,
 * digits or '_', starting with a letter.
 */
#include "handlers/template.h"

#include <stdio.h>
#include <string.h>

#define TEMPLATE_NAME_MAX 32

/* Calls on for each literal run and each placeholder; -1 with why at the first malformed brace. */
typedef void template_part(void *arg, const char *s, size_t len, bool placeholder);

static int template_scan(const char *text, size_t len, template_part *on, void *arg, char *why, size_t whylen);

struct template_walk {
	template_lookup *lookup;
	void *arg;
	struct buf *out;
	char *why;
	size_t whylen;
	bool failed;
};

static void template_check_part(void *arg, const char *s, size_t len, bool placeholder);
static void template_render_part(void *arg, const char *s, size_t len, bool placeholder);

static int
template_scan(const char *text, size_t len, template_part *on, void *arg, char *why, size_t whylen)
{
	size_t i = 0, lit = 0;

	while (i < len) {
		if (text[i] == '}' && i + 1 < len && text[i + 1] == '}') {
			on(arg, text + lit, i - lit + 1, false);
			i += 2;
			lit = i;
			continue;
		}
		if (text[i] == '}') {
			snprintf(why, whylen, "a '}' at byte %zu closes nothing (write }} for a brace)", i);
			return -1;
		}
		if (text[i] != '{') {
			i++;
			continue;
		}
		if (i + 1 < len && text[i + 1] == '{') {
			on(arg, text + lit, i - lit + 1, false);
			i += 2;
			lit = i;
			continue;
		}
		{
			size_t j = i + 1;

			while (j < len && j - i - 1 <= TEMPLATE_NAME_MAX &&
			    ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z') ||
				(text[j] >= '0' && text[j] <= '9') || text[j] == '_'))
				j++;
			if (j >= len || text[j] != '}' || j == i + 1 || j - i - 1 > TEMPLATE_NAME_MAX ||
			    !((text[i + 1] >= 'a' && text[i + 1] <= 'z') ||
				(text[i + 1] >= 'A' && text[i + 1] <= 'Z'))) {
				snprintf(why, whylen,
				    "the '{' at byte %zu does not start a placeholder such as {first_name} (write {{ "
				    "for a brace)",
				    i);
				return -1;
			}
			if (i > lit)
				on(arg, text + lit, i - lit, false);
			on(arg, text + i + 1, j - i - 1, true);
			i = j + 1;
			lit = i;
		}
	}
	if (len > lit)
		on(arg, text + lit, len - lit, false);
	return 0;
}

static void
template_check_part(void *arg, const char *s, size_t len, bool placeholder)
{
	struct template_walk *w = arg;
	char name[TEMPLATE_NAME_MAX + 1];

	if (!placeholder || w->failed)
		return;
	snprintf(name, sizeof name, "%.*s", (int)len, s);
	if (w->lookup(w->arg, name) == NULL) {
		snprintf(
		    w->why, w->whylen, "unknown placeholder {%s}: use {first_name}, or give it a value in vars", name);
		w->failed = true;
	}
}

int
template_check(const char *text, size_t len, template_lookup *known, void *arg, char *why, size_t whylen)
{
	struct template_walk w = { known, arg, NULL, why, whylen, false };
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i == len) {
		snprintf(why, whylen, "the text is empty");
		return -1;
	}
	if (!utf8_valid(text, len) || memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "the text is not valid UTF-8");
		return -1;
	}
	if (template_scan(text, len, template_check_part, &w, why, whylen) != 0)
		return -1;
	return w.failed ? -1 : 0;
}

static void
template_render_part(void *arg, const char *s, size_t len, bool placeholder)
{
	struct template_walk *w = arg;
	char name[TEMPLATE_NAME_MAX + 1];
	const char *v;

	if (!placeholder) {
		buf_append(w->out, s, len);
		return;
	}
	snprintf(name, sizeof name, "%.*s", (int)len, s);
	if ((v = w->lookup(w->arg, name)) != NULL)
		buf_append(w->out, v, strlen(v));
}

void
template_render(const char *text, size_t len, template_lookup *value, void *arg, struct buf *out)
{
	struct template_walk w = { value, arg, out, NULL, 0, false };
	char why[160];

	if (template_scan(text, len, template_render_part, &w, why, sizeof why) != 0)
		buf_append(out, text, len); /* never checked: sent as it was written */
}
