/* The xl configuration syntax: a lexer and a recursive-descent parser (pure). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages -------------------------------------------------------------- */

#define MSGS_MAX 100 /* a file with more problems than this gets the first 100 */

void msgs_add(struct msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *s, **v;

	if (m->nr >= MSGS_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	v = realloc(m->v, (m->nr + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return;
	}
	m->v = v;
	m->v[m->nr++] = s;
}

void msgs_free(struct msgs *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->nr = 0;
}

/* ---- the lexer --------------------------------------------------------------- */

enum tok {
	T_EOF, T_NEWLINE, T_SEMI, T_IDENT, T_STRING, T_NUMBER, T_EQ, T_PLUSEQ, T_LBRACK, T_RBRACK,
	T_COMMA, T_ERROR,
};

struct lexer {
	const char *path;
	const char *p, *end;
	unsigned int line;
	struct msgs *errors;
	/* The current token. */
	enum tok tok;
	unsigned int tok_line;
	char *text;                 /* IDENT, STRING, NUMBER: malloc'd */
	size_t len;
	int depth;                  /* 1 inside a list's brackets, for recovery */
	bool nomem;
};

static const char *tok_name(enum tok t)
{
	static const char *const names[] = {
		[T_EOF] = "the end of the file", [T_NEWLINE] = "the end of the line",
		[T_SEMI] = "';'", [T_IDENT] = "a name", [T_STRING] = "a string",
		[T_NUMBER] = "a number", [T_EQ] = "'='", [T_PLUSEQ] = "'+='", [T_LBRACK] = "'['",
		[T_RBRACK] = "']'", [T_COMMA] = "','", [T_ERROR] = "an error",
	};
	return names[t];
}

/* Reports a problem on the current token's line (a token never spans lines). */
static void lex_error(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lex_error(struct lexer *lx, const char *fmt, ...)
{
	char buf[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msgs_add(lx->errors, "%s:%u: %s", lx->path, lx->tok_line, buf);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A quoted string starting at lx->p (the quote); the unescaped bytes go to lx->text. */
static enum tok lex_string(struct lexer *lx)
{
	char quote = *lx->p++;
	char *out = malloc((size_t)(lx->end - lx->p) + 1);
	size_t n = 0;

	if (!out) {
		lx->nomem = true;
		return T_ERROR;
	}
	for (;;) {
		char c;

		if (lx->p >= lx->end || *lx->p == '\n') {
			lex_error(lx, "a string has no closing %c", quote);
			free(out);
			return T_ERROR;
		}
		c = *lx->p++;
		if (c == quote)
			break;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (lx->p >= lx->end || *lx->p == '\n') {
			lex_error(lx, "a string ends in a lone backslash");
			free(out);
			return T_ERROR;
		}
		c = *lx->p++;
		switch (c) {
		case '"': case '\'': case '\\':
			out[n++] = c;
			break;
		case 'a': out[n++] = '\a'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'v': out[n++] = '\v'; break;
		case 'x': {
			int hi = lx->p < lx->end ? hexval(lx->p[0]) : -1;
			int lo = lx->p + 1 < lx->end ? hexval(lx->p[1]) : -1;

			if (hi < 0 || lo < 0) {
				lex_error(lx, "\\x in a string needs two hex digits");
				free(out);
				return T_ERROR;
			}
			out[n++] = (char)(hi * 16 + lo);
			lx->p += 2;
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0';

				for (int i = 0; i < 2 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7'; i++)
					v = v * 8 + (*lx->p++ - '0');
				if (v > 255) {
					lex_error(lx, "an octal escape in a string is over \\377");
					free(out);
					return T_ERROR;
				}
				out[n++] = (char)v;
				break;
			}
			lex_error(lx, "unknown escape \\%c in a string", isprint((unsigned char)c) ? c : '?');
			free(out);
			return T_ERROR;
		}
	}
	out[n] = '\0';
	lx->text = out;
	lx->len = n;
	return T_STRING;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

static enum tok lex_word(struct lexer *lx, enum tok kind)
{
	const char *s = lx->p;

	while (lx->p < lx->end && ident_char(*lx->p))
		lx->p++;
	lx->len = (size_t)(lx->p - s);
	lx->text = strndup(s, lx->len);
	if (!lx->text) {
		lx->nomem = true;
		return T_ERROR;
	}
	if (kind == T_NUMBER) {
		bool hex = lx->len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		size_t ok = hex ? 2 + strspn(lx->text + 2, "0123456789abcdefABCDEF") :
				  strspn(lx->text, "0123456789");

		if (ok != lx->len) {
			lex_error(lx, "'%s' is not a number (write text in quotes)", lx->text);
			free(lx->text);
			lx->text = NULL;
			return T_ERROR;
		}
	}
	return kind;
}

/* Reads the next token into lx->tok (and lx->text). */
static void lex_next(struct lexer *lx)
{
	free(lx->text);
	lx->text = NULL;
	for (;;) {
		char c;

		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
			lx->p++;
		lx->tok_line = lx->line;
		if (lx->p >= lx->end) {
			lx->tok = T_EOF;
			return;
		}
		c = *lx->p;
		if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (c == '\n') {
			lx->p++;
			lx->line++;
			lx->tok = T_NEWLINE;
			return;
		}
		if (c == '"' || c == '\'') {
			lx->tok = lex_string(lx);
			return;
		}
		if (isdigit((unsigned char)c)) {
			lx->tok = lex_word(lx, T_NUMBER);
			return;
		}
		if (isalpha((unsigned char)c) || c == '_') {
			lx->tok = lex_word(lx, T_IDENT);
			return;
		}
		lx->p++;
		switch (c) {
		case '=': lx->tok = T_EQ; return;
		case '[': lx->tok = T_LBRACK; return;
		case ']': lx->tok = T_RBRACK; return;
		case ',': lx->tok = T_COMMA; return;
		case ';': lx->tok = T_SEMI; return;
		case '+':
			if (lx->p < lx->end && *lx->p == '=') {
				lx->p++;
				lx->tok = T_PLUSEQ;
				return;
			}
			break;
		}
		if (isprint((unsigned char)c))
			lex_error(lx, "unexpected character '%c'", c);
		else
			lex_error(lx, "unexpected byte 0x%02x (the file should be text)", (unsigned char)c);
		lx->tok = T_ERROR;
		return;
	}
}

/* ---- values -------------------------------------------------------------------- */

static void value_free(struct cfg_value *v)
{
	free(v->text);
	for (unsigned int i = 0; i < v->nr_items; i++)
		value_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

/* Takes the current STRING or NUMBER token as an atom. */
static void take_atom(struct lexer *lx, struct cfg_value *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = lx->tok == T_STRING ? CFG_STRING : CFG_NUMBER;
	v->text = lx->text;
	v->len = lx->len;
	v->line = lx->tok_line;
	lx->text = NULL;
}

static void skip_newlines(struct lexer *lx)
{
	while (lx->tok == T_NEWLINE)
		lex_next(lx);
}

static int list_add(struct cfg_value *list, struct cfg_value *item)
{
	struct cfg_value *items = realloc(list->items, (list->nr_items + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	list->items = items;
	list->items[list->nr_items++] = *item;
	return 0;
}

/*
 * Parses a value starting at the current token; on return the current
 * token is the one after it. Returns 0, -EINVAL (reported) or -ENOMEM.
 */
static int parse_value(struct lexer *lx, const char *key, struct cfg_value *v)
{
	memset(v, 0, sizeof(*v));
	if (lx->tok == T_STRING || lx->tok == T_NUMBER) {
		take_atom(lx, v);
		lex_next(lx);
		return 0;
	}
	if (lx->tok != T_LBRACK) {
		if (lx->tok != T_ERROR)
			lex_error(lx, "%s: expected a value (a \"string\", a number or a [ list ]), "
				      "found %s", key, tok_name(lx->tok));
		return lx->nomem ? -ENOMEM : -EINVAL;
	}
	v->kind = CFG_LIST;
	v->line = lx->tok_line;
	lx->depth = 1;
	lex_next(lx);
	skip_newlines(lx);
	while (lx->tok != T_RBRACK) {
		struct cfg_value item;

		if (lx->tok == T_LBRACK) {
			lex_error(lx, "%s: a list cannot hold another list", key);
			return -EINVAL;
		}
		if (lx->tok != T_STRING && lx->tok != T_NUMBER) {
			if (lx->tok != T_ERROR)
				lex_error(lx, "%s: expected a list item or ']', found %s", key,
					  tok_name(lx->tok));
			return lx->nomem ? -ENOMEM : -EINVAL;
		}
		take_atom(lx, &item);
		if (list_add(v, &item)) {
			value_free(&item);
			return -ENOMEM;
		}
		lex_next(lx);
		skip_newlines(lx);
		if (lx->tok == T_COMMA) {
			lex_next(lx);
			skip_newlines(lx);
		} else if (lx->tok != T_RBRACK) {
			if (lx->tok != T_ERROR)
				lex_error(lx, "%s: expected ',' or ']' in the list, found %s", key,
					  tok_name(lx->tok));
			return lx->nomem ? -ENOMEM : -EINVAL;
		}
	}
	lx->depth = 0;
	lex_next(lx);
	return 0;
}

/* ---- settings ------------------------------------------------------------------ */

static struct cfg_setting *find(struct cfg_file *f, const char *key)
{
	for (unsigned int i = 0; i < f->nr; i++)
		if (!strcmp(f->settings[i].key, key))
			return &f->settings[i];
	return NULL;
}

/* Appends v (consumed) to old: string to string, list or atom to list. */
static int append(struct lexer *lx, const char *key, struct cfg_value *old, struct cfg_value *v)
{
	if (old->kind == CFG_LIST) {
		if (v->kind == CFG_LIST) {
			for (unsigned int i = 0; i < v->nr_items; i++) {
				if (list_add(old, &v->items[i]))
					return -ENOMEM;
				memset(&v->items[i], 0, sizeof(v->items[i]));
			}
			value_free(v);
			return 0;
		}
		return list_add(old, v);
	}
	if (v->kind == CFG_LIST) {
		lex_error(lx, "%s: += of a list to a value that is not a list", key);
		return -EINVAL;
	}
	{
		char *s = malloc(old->len + v->len + 1);

		if (!s)
			return -ENOMEM;
		memcpy(s, old->text, old->len);
		memcpy(s + old->len, v->text, v->len);
		s[old->len + v->len] = '\0';
		free(old->text);
		old->text = s;
		old->len += v->len;
		old->kind = CFG_STRING;
		value_free(v);
	}
	return 0;
}

static int store(struct lexer *lx, struct cfg_file *f, char *key, bool add, struct cfg_value *v,
		 unsigned int line)
{
	struct cfg_setting *s = find(f, key);
	int rc;

	if (s && add) {
		rc = append(lx, key, &s->value, v);
		free(key);
		if (rc)
			return rc;
		s->line = line;
		return 0;
	}
	if (s) {
		msgs_add(&f->warnings, "%s:%u: %s: set again; the value from line %u is ignored",
			 f->path, line, key, s->line);
		value_free(&s->value);
		s->value = *v;
		s->line = line;
		free(key);
		return 0;
	}
	s = realloc(f->settings, (f->nr + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	f->settings = s;
	f->settings[f->nr++] = (struct cfg_setting){ .key = key, .value = *v, .line = line };
	return 0;
}

/* After an error: drops tokens to the end of the statement, outside any list. */
static void recover(struct lexer *lx)
{
	int depth = lx->depth;

	lx->depth = 0;
	while (lx->tok != T_EOF) {
		if (lx->tok == T_LBRACK)
			depth++;
		else if (lx->tok == T_RBRACK && depth)
			depth--;
		else if ((lx->tok == T_NEWLINE || lx->tok == T_SEMI) && !depth)
			return;
		lex_next(lx);
	}
}

static int parse_setting(struct lexer *lx, struct cfg_file *f)
{
	unsigned int line = lx->tok_line;
	struct cfg_value v;
	char *key = lx->text;
	bool add;
	int rc;

	lx->text = NULL;
	lex_next(lx);
	if (lx->tok != T_EQ && lx->tok != T_PLUSEQ) {
		if (lx->tok != T_ERROR)
			lex_error(lx, "%s: expected '=' after the name, found %s", key,
				  tok_name(lx->tok));
		free(key);
		return lx->nomem ? -ENOMEM : -EINVAL;
	}
	add = lx->tok == T_PLUSEQ;
	lex_next(lx);
	rc = parse_value(lx, key, &v);
	if (rc) {
		value_free(&v);
		free(key);
		return rc;
	}
	if (lx->tok != T_NEWLINE && lx->tok != T_SEMI && lx->tok != T_EOF) {
		if (lx->tok != T_ERROR)
			lex_error(lx, "%s: expected the end of the line after the value, found %s "
				      "(one setting per line, or separate them with ';')",
				  key, tok_name(lx->tok));
		value_free(&v);
		free(key);
		return lx->nomem ? -ENOMEM : -EINVAL;
	}
	rc = store(lx, f, key, add, &v, line);
	if (rc)
		value_free(&v);
	return rc;
}

int cfg_parse(const char *path, const char *text, size_t len, struct cfg_file *out,
	      struct msgs *errors)
{
	struct lexer lx = { .path = path, .p = text, .end = text + len, .line = 1, .errors = errors };
	bool bad = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	if (!out->path)
		return -ENOMEM;
	lex_next(&lx);
	while (lx.tok != T_EOF && !lx.nomem) {
		if (lx.tok == T_NEWLINE || lx.tok == T_SEMI) {
			lex_next(&lx);
			continue;
		}
		if (lx.tok == T_IDENT) {
			rc = parse_setting(&lx, out);
		} else {
			if (lx.tok != T_ERROR)
				lex_error(&lx, "expected a setting (NAME = VALUE), found %s",
					  tok_name(lx.tok));
			rc = -EINVAL;
		}
		if (rc == -ENOMEM)
			break;
		if (rc) {
			bad = true;
			recover(&lx);
		}
		rc = 0;
	}
	free(lx.text);
	if (lx.nomem || rc == -ENOMEM)
		return -ENOMEM;
	return bad ? -EINVAL : 0;
}

void cfg_free(struct cfg_file *f)
{
	for (unsigned int i = 0; i < f->nr; i++) {
		free(f->settings[i].key);
		value_free(&f->settings[i].value);
	}
	free(f->settings);
	free(f->path);
	msgs_free(&f->warnings);
	memset(f, 0, sizeof(*f));
}
