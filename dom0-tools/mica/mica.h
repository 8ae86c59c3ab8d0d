/*
 * The `mica` command line: what the command files share. Each family of
 * commands lives in its own file (cmd_*.c) and is listed in main.c's
 * table; every one prints its errors as "mica: ..." on stderr, a sentence
 * that says what is wrong and what to do, and returns an exit status.
 */
#ifndef MICA_MICA_H
#define MICA_MICA_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct mica;
struct mica_xs;

/* Exit statuses, the same for every command (docs/mica-cli.md). */
#define EXIT_OK 0
#define EXIT_FAIL 1         /* the command did not do what was asked */
#define EXIT_USAGE 2        /* the command line is wrong */
#define EXIT_FORCED 3       /* shutdown/reboot -w: the guest did not comply in time and was destroyed */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;       /* after the name, for the usage line */
	const char *summary;    /* one line for `mica --help` */
	const char *help;       /* the options, for `mica NAME --help` */
};

/* Runs the command line (argv[0] is the program); main() is only this. */
int mica_main(int argc, char **argv);

/* The commands, by file. */
int cmd_create(int argc, char **argv);          /* cmd_create.c */
int cmd_list(int argc, char **argv);            /* cmd_list.c */
int cmd_vcpu_list(int argc, char **argv);
int cmd_info(int argc, char **argv);            /* cmd_info.c */
int cmd_dmesg(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);        /* cmd_life.c */
int cmd_reboot(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_console(int argc, char **argv);         /* cmd_console.c */
int cmd_block_attach(int argc, char **argv);    /* cmd_block.c */
int cmd_block_detach(int argc, char **argv);
int cmd_block_list(int argc, char **argv);
int cmd_network_attach(int argc, char **argv);  /* cmd_network.c */
int cmd_network_detach(int argc, char **argv);
int cmd_network_list(int argc, char **argv);
int cmd_device_attach(int argc, char **argv);   /* cmd_device.c */
int cmd_device_detach(int argc, char **argv);

/*
 * `mica CMD -h` and `mica CMD --help` are answered by main.c before the
 * command runs, so commands parse only their own options (getopt_long);
 * usage_error prints "mica CMD: ..." and the usage line, and returns
 * EXIT_USAGE.
 */
const struct command *command_find(const char *name);
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Messages: "mica: ..." on stderr. */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool quiet;          /* -q: no info messages */

/* Opens the hypervisor or the store, or says why not (and returns NULL). */
struct mica *open_hypervisor(void);
struct mica_xs *open_store(void);

/*
 * Finds the domain a person named by name or id. Prints why not and
 * returns -ENOENT (or another -errno) when there is none; xs may be NULL
 * (then only ids work).
 */
int find_domain(struct mica *m, struct mica_xs *xs, const char *arg, uint32_t *domid);

/* "web (3)" for messages; buf of at least 96 bytes. */
const char *domain_label(struct mica_xs *xs, uint32_t domid, char *buf, size_t size);

/* Parses a whole non-negative decimal number; false if s is anything else. */
bool parse_uint(const char *s, uint64_t max, uint64_t *out);

/* A fresh random UUID: 16 bytes and its text form (37 bytes with the NUL). */
int make_uuid(uint8_t bytes[16], char text[37]);

/* Milliseconds of a monotonic clock. */
int64_t now_ms(void);

/* The reason in a getdomaininfo flags word, as a word ("poweroff", "crash", ...). */
const char *shutdown_reason_name(uint32_t reason);

/*
 * Builds, registers and starts the guest of cfg (cmd_create.c): checks free
 * memory and the name, builds it, writes its store entries, introduces it
 * to the store, and unpauses it unless `paused`. On failure nothing is left
 * and errors says why.
 */
int create_domain(struct mica *m, struct mica_xs *xs, const struct domcfg *cfg, bool paused,
		  uint32_t *domid, struct msgs *errors);

/* Relays the terminal to a guest's console until Ctrl-] (cmd_console.c); an exit status. */
int console_attach(struct mica *m, uint32_t domid);

/*
 * Destroys a domain and forgets it in the store; prints nothing. Waits (up
 * to 10 s) for programs in dom0 that still map its frames to let go, and
 * finishes the destruction then. 0, -EBUSY if it is still held (it stays
 * listed as dying), or another -errno.
 */
int destroy_and_forget(struct mica *m, struct mica_xs *xs, uint32_t domid);

#endif
