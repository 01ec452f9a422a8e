/*
 * amuddu: the command-line tool over the gateway's /v1 API, for agents
 * and admins at a terminal. Global options (--json, --help, --version)
 * may come anywhere before "--"; the first words name the command. The
 * URL and token come from the environment only, so no token is ever in
 * the shell's history or the process list.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/commands.h"

#define AMUDDU_VERSION "1.0.0"
#define AMUDDU_MAX_WORDS 64

const struct command commands[] = {
	{ "contacts", "import", cmd_contacts_import, "FILE [--dry-run] [--valid] [--windows-1252]",
	    "Imports contacts from a spreadsheet's CSV file (French or English headers). Any refused\n"
	    "row refuses the file unless --valid; --dry-run writes nothing; --windows-1252 for French\n"
	    "Excel's plain \"CSV\". A progress bar shows on a terminal.",
	    false },
	{ "contacts", "list", cmd_contacts_list,
	    "[--q TEXT] [--city C] [--locale L] [--sex S] [--channel C] [--tag T] [--consent yes|no|none] [--limit N] "
	    "[--all]",
	    "Lists contacts, oldest first (numbers masked for agents). --q finds a part of a name or first\n"
	    "name (case and accents aside), or a number (agents: a whole number, in any form); the filters\n"
	    "take any of their values (repeat the option, or a,b) and all of them must hold.",
	    false },
	{ "contacts", "show", cmd_contacts_show, "ID", "Shows a contact and its consent history.", false },
	{ "contacts", "set", cmd_contacts_set, "ID FIELD=VALUE...",
	    "Changes a contact: name, first_name, city, locale, sex, channel, tags=a,b, consent=yes|no.", false },
	{ "contacts", "delete", cmd_contacts_delete, "ID", "Erases a person (admin): number, names, consent, texts.",
	    false },
	{ "contacts", "export", cmd_contacts_export, "[FILE]", "Every contact as CSV with numbers (admin).", false },
	{ "audience", "preview", cmd_audience_preview, "[--city C] [--locale L] [--tag T] ...",
	    "How many people a filter reaches, who is left out and why (--city, --locale, --channel,\n"
	    "--sex, --tag: any of them, repeat for more; --all-tags; --replied-to ID; --not-replied-to ID).",
	    false },
	{ "campaign", "create", cmd_campaign_create, "--name N --kind K --text LOCALE=TEXT... --start TIME ...",
	    "Creates a campaign as a draft: --text fr=... --text ar=..., --var centre=Salé, --start\n"
	    "2026-12-15T09:00 (local time), --expires, --lane, --via sms|whatsapp|auto, --category,\n"
	    "--substitute, and audience options as for audience preview.",
	    false },
	{ "campaign", "list", cmd_campaign_list, "", "Lists campaigns with their counts.", false },
	{ "campaign", "preview", cmd_campaign_act, "ID", "Who will get it, its SMS length, cost and end.", false },
	{ "campaign", "schedule", cmd_campaign_act, "ID", "Schedules a draft for its start time.", false },
	{ "campaign", "pause", cmd_campaign_act, "ID", "Pauses a scheduled or running campaign.", false },
	{ "campaign", "resume", cmd_campaign_act, "ID", "Resumes a paused campaign.", false },
	{ "campaign", "cancel", cmd_campaign_act, "ID", "Cancels a campaign: nothing more goes out.", false },
	{ "campaign", "status", cmd_campaign_act, "ID [--watch]",
	    "A campaign's live counts; --watch refreshes them every 2 seconds until it ends.", false },
	{ "send", NULL, cmd_send, "(--to NUMBER | --contact ID) --text TEXT [--channel C]",
	    "Sends one message (the notify lane): it is not a campaign, consent is not needed.", false },
	{ "inbox", "show", cmd_inbox_show, "ID",
	    "A conversation: the person (number masked), what they wrote, the answers.", false },
	{ "inbox", "close", cmd_inbox_close, "ID", "Closes a conversation once it is dealt with.", false },
	{ "inbox", NULL, cmd_inbox_list, "",
	    "The open conversations, who has waited longest first: messages the automatic answers could\n"
	    "not deal with, and people who asked for an agent.",
	    false },
	{ "reply", NULL, cmd_reply, "ID TEXT",
	    "Answers a conversation, on the channel the person last wrote on (the reply lane).", false },
	{ "reach", "funnel", cmd_reach_funnel, "CAMPAIGN",
	    "One campaign from its audience to its referrals: audience and who was left out, people\n"
	    "sent, delivered, read, replied, informed, referred and opted out, its message counts, and\n"
	    "why messages were not sent or not delivered (the providers' codes grouped). As JSON.",
	    false },
	{ "reach", NULL, cmd_reach, "[--from DATE] [--to DATE] [--period P] [--by DIMS] [FILTERS] [--format F]",
	    "The programme's indicators (sent, delivered, read, reached, replied, informed, referred,\n"
	    "opted out), exact and unique per person, for local dates --from/--to (default: the period\n"
	    "under way), --period day|month|quarter|semester|year, --by a comma list of campaign, kind,\n"
	    "city, locale, channel, sex, period; filters --campaign, --kind, --city, --locale,\n"
	    "--channel, --sex (comma lists). --format table (default), json, csv (Excel; --sep ';' for\n"
	    "French Excel), dhis2-json, dhis2-csv (--skip-unmapped to leave out counts with no place in\n"
	    "DHIS2), svg (a chart: --by period, one dimension, or period and one dimension; --indicators\n"
	    "sent,reached,replied; --lang fr|ar|en); --out FILE; --referral anapec: referred counts\n"
	    "referred:anapec alone. reach --verify recomputes every counter from the records and compares\n"
	    "(exit 1 when any differs).",
	    false },
	{ "segments", NULL, cmd_segments, "TEXT",
	    "How carriers will count TEXT as an SMS: GSM-7 or UCS-2, parts, the characters that\n"
	    "forced UCS-2 and what substituting them would give.",
	    false },
	{ "keywords", "test", cmd_keywords_test, "[--locales DIR] [--locale LOCALE] TEXT",
	    "Which topic (menu, training, employment, residency, covid, agent, stop, start or none)\n"
	    "and locale an inbound TEXT gets from the catalogs' keyword lists, with its normalised\n"
	    "form. Runs here, without the gateway: the catalogs are read from --locales DIR, else\n"
	    "AMUDDU_LOCALES, else ./locales; --locale is the person's stored locale. A bad catalog\n"
	    "is named with its line (exit 1).",
	    true },
	{ "password", NULL, cmd_password, "NAME ROLE",
	    "The [console] line of a named login for the web console: reads the password from\n"
	    "standard input (twice, unechoed, on a terminal) and prints login.NAME = ROLE with the\n"
	    "password's PBKDF2-SHA256 hash and a random salt, never the password.",
	    true },
};
const size_t ncommands = sizeof commands / sizeof commands[0];

static void amuddu_usage(FILE *to);
static void amuddu_command_help(const struct command *cmd);
static const struct command *amuddu_find(int n, char **words, int *used);

static void
amuddu_usage(FILE *to)
{
	fprintf(to,
	    "usage: amuddu [--json] COMMAND [ARGUMENTS]\n"
	    "       amuddu COMMAND --help\n"
	    "       amuddu --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < ncommands; i++) {
		char name[64];

		snprintf(name, sizeof name, "%s%s%s", commands[i].group, commands[i].verb != NULL ? " " : "",
		    commands[i].verb != NULL ? commands[i].verb : "");
		fprintf(to, "  %-20s %s\n", name, commands[i].usage);
	}
	fprintf(to,
	    "\nenvironment:\n"
	    "  AMUDDU_URL      the gateway (default http://127.0.0.1:8080)\n"
	    "  AMUDDU_TOKEN    your API token (required)\n"
	    "  AMUDDU_LOCALES  the catalogs keywords test reads (default ./locales)\n"
	    "\n--json prints the gateway's answers as JSON instead of a readable summary.\n"
	    "exit codes: 0 done, 1 refused by the gateway (the reason is printed), 2 wrong command\n"
	    "line, 3 token missing or wrong, or not allowed for its role, 4 gateway unreachable.\n");
}

static void
amuddu_command_help(const struct command *cmd)
{
	printf("usage: amuddu [--json] %s%s%s %s\n\n%s\n", cmd->group, cmd->verb != NULL ? " " : "",
	    cmd->verb != NULL ? cmd->verb : "", cmd->usage, cmd->help);
}

/* The command the first words name; *used says how many words its name took. */
static const struct command *
amuddu_find(int n, char **words, int *used)
{
	for (size_t i = 0; i < ncommands; i++) {
		if (n < 1 || strcmp(words[0], commands[i].group) != 0)
			continue;
		if (commands[i].verb == NULL) {
			*used = 1;
			return &commands[i];
		}
		if (n >= 2 && strcmp(words[1], commands[i].verb) == 0) {
			*used = 2;
			return &commands[i];
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	char *words[AMUDDU_MAX_WORDS];
	int n = 0, used = 0, rc;
	bool help = false, dashes = false;
	struct client c = { NULL, NULL, false };
	const struct command *cmd;
	const char *url = getenv("AMUDDU_URL");
	char *base;

	for (int i = 1; i < argc; i++) {
		if (!dashes && strcmp(argv[i], "--") == 0) {
			dashes = true;
		} else if (!dashes && strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (!dashes && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
			help = true;
		} else if (!dashes && strcmp(argv[i], "--version") == 0) {
			printf("amuddu " AMUDDU_VERSION "\n");
			return CLIENT_OK;
		} else if (n == AMUDDU_MAX_WORDS) {
			fprintf(stderr, "amuddu: too many arguments\n");
			return CLIENT_USAGE;
		} else {
			words[n++] = argv[i];
		}
	}
	cmd = amuddu_find(n, words, &used);
	if (help) {
		if (cmd != NULL)
			amuddu_command_help(cmd);
		else
			amuddu_usage(stdout);
		return CLIENT_OK;
	}
	if (cmd == NULL) {
		if (n > 0)
			fprintf(stderr, "amuddu: unknown command '%s%s%s'\n", words[0], n > 1 ? " " : "",
			    n > 1 ? words[1] : "");
		amuddu_usage(stderr);
		return CLIENT_USAGE;
	}
	if (cmd->local)
		return cmd->run(&c, n - used, words + used);
	if ((c.token = getenv("AMUDDU_TOKEN")) == NULL || *c.token == '\0') {
		fprintf(stderr, "amuddu: set AMUDDU_TOKEN to your API token\n");
		return CLIENT_DENIED;
	}
	base = strdup(url != NULL && *url != '\0' ? url : "http://127.0.0.1:8080");
	if (base == NULL)
		return CLIENT_UNREACHABLE;
	while (*base != '\0' && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	c.url = base;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->run(&c, n - used, words + used);
	curl_global_cleanup();
	free(base);
	return rc;
}
