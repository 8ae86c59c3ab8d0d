/*
 * mica-store: the event loop's registration interface (epoll, level-
 * triggered). Each watched fd has a struct pitem whose fn runs when the fd
 * is ready; main.c owns the loop.
 */
#ifndef STORE_LOOP_H
#define STORE_LOOP_H

#include <stdint.h>

struct pitem {
	int fd;
	uint32_t events;                 /* EPOLLIN/EPOLLOUT currently asked for */
	void (*fn)(struct pitem *it, uint32_t events);
};

/* Adds, changes (if different) or removes interest; 0 or -errno. */
int loop_add(int epfd, struct pitem *it, uint32_t events);
int loop_mod(int epfd, struct pitem *it, uint32_t events);
void loop_del(int epfd, struct pitem *it);

#endif
