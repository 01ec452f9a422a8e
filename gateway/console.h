/*
 * The web console under /console/ (gateway/console.c): its files, read
 * once at start from [console] dir and served from memory with a strict
 * Content-Security-Policy; its strings from the PO catalogs; its session
 * endpoints. The api owns struct console; console_free().
 */
#ifndef AMUDDU_CONSOLE_H
#define AMUDDU_CONSOLE_H

#include <event2/http.h>
#include <stddef.h>

struct api;
struct console;

/* Reads every file under dir; NULL with why when dir cannot be read or holds too much. */
struct console *console_new(const char *dir, char *why, size_t whylen);
void console_free(struct console *k);
/* How many files it serves. */
size_t console_files(const struct console *k);
/* Answers req, whose path is /console or begins with /console/. */
void console_handle(struct api *a, struct evhttp_request *req, const char *path);

#endif
