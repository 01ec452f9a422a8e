/*
 * Unit tests for handlers/template.c: placeholders checked once and
 * rendered per person, braces escaped, and every refusal with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "handlers/template.h"

static const char *
values(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "first_name") == 0)
		return "Aminata";
	if (strcmp(name, "centre") == 0)
		return "Salé";
	if (strcmp(name, "date") == 0)
		return "15/12";
	return NULL;
}

static void
render(const char *text, const char *expect)
{
	struct buf b;
	char why[200];

	assert_int_equal(template_check(text, strlen(text), values, NULL, why, sizeof why), 0);
	buf_init(&b);
	template_render(text, strlen(text), values, NULL, &b);
	buf_append(&b, "", 1);
	assert_string_equal(b.data, expect);
	buf_free(&b);
}

static void
refused(const char *text, const char *needle)
{
	char why[200] = "";

	assert_int_equal(template_check(text, strlen(text), values, NULL, why, sizeof why), -1);
	if (strstr(why, needle) == NULL)
		fail_msg("'%s' does not say '%s'", why, needle);
}

static void
test_render(void **state)
{
	(void)state;
	render("Bonjour {first_name}, formation à {centre} le {date}.", "Bonjour Aminata, formation à Salé le 15/12.");
	render("مرحبا {first_name}، التكوين في {centre} يوم {date}", "مرحبا Aminata، التكوين في Salé يوم 15/12");
	render("{{pas une variable}} et {first_name}", "{pas une variable} et Aminata");
	render("Salam", "Salam");
	render("{first_name}", "Aminata");
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("", "empty");
	refused("  \n ", "empty");
	refused("Bonjour {prenom}", "unknown placeholder {prenom}");
	refused("Lien: {link}", "unknown placeholder {link}");
	refused("Bonjour {first_name", "does not start a placeholder");
	refused("Bonjour {}", "does not start a placeholder");
	refused("Bonjour { first_name }", "does not start a placeholder");
	refused("a } b", "closes nothing");
	refused("caf\xC3", "not valid UTF-8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
