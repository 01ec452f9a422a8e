/*
 * The amuddu tool's commands: each takes the words after its name and
 * returns an exit code (gateway/cli/client.h). amuddu.c finds them by
 * name and answers --help for each from its usage text.
 */
#ifndef AMUDDU_CLI_COMMANDS_H
#define AMUDDU_CLI_COMMANDS_H

#include "gateway/cli/client.h"

struct command {
	const char *group; /* "segments", "contacts", … */
	const char *verb;  /* "import", …, or NULL for a group that is one command */
	int (*run)(const struct client *c, int argc, char **argv);
	const char *usage; /* the arguments, after "amuddu GROUP VERB" */
	const char *help;  /* what it does, a few lines */
	bool local;        /* runs here without the gateway: no URL, no token */
};

extern const struct command commands[];
extern const size_t ncommands;

int cmd_segments(const struct client *c, int argc, char **argv);
int cmd_contacts_import(const struct client *c, int argc, char **argv);
int cmd_contacts_list(const struct client *c, int argc, char **argv);
int cmd_contacts_show(const struct client *c, int argc, char **argv);
int cmd_contacts_set(const struct client *c, int argc, char **argv);
int cmd_contacts_delete(const struct client *c, int argc, char **argv);
int cmd_contacts_export(const struct client *c, int argc, char **argv);
int cmd_audience_preview(const struct client *c, int argc, char **argv);
int cmd_campaign_create(const struct client *c, int argc, char **argv);
int cmd_campaign_list(const struct client *c, int argc, char **argv);
/* preview, schedule, pause, resume, cancel, status: the verb is argv[-1]. */
int cmd_campaign_act(const struct client *c, int argc, char **argv);
int cmd_send(const struct client *c, int argc, char **argv);
/* keywords test: c->json only; the client's URL and token are not set. */
int cmd_keywords_test(const struct client *c, int argc, char **argv);
/* password NAME ROLE: a [console] login line; runs here, reads the password from stdin. */
int cmd_password(const struct client *c, int argc, char **argv);
int cmd_inbox_list(const struct client *c, int argc, char **argv);
int cmd_inbox_show(const struct client *c, int argc, char **argv);
int cmd_inbox_close(const struct client *c, int argc, char **argv);
int cmd_reply(const struct client *c, int argc, char **argv);
int cmd_reach(const struct client *c, int argc, char **argv);
int cmd_reach_funnel(const struct client *c, int argc, char **argv);

#endif
