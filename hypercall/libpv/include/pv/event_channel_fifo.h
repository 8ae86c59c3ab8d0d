/*
 * The FIFO event-channel ABI's arguments (EVTCHNOP_init_control,
 * expand_array, set_priority). Mica offers only the 2-level ABI and answers
 * these -ENOSYS, so only guests that check that refusal need the layouts.
 */
#ifndef PV_EVENT_CHANNEL_FIFO_H
#define PV_EVENT_CHANNEL_FIFO_H

#include <pv/event_channel.h>

struct evtchn_init_control {
	pv_u64 control_gfn;
	pv_u32 offset;
	pv_u32 vcpu;
	pv_u8 link_bits;           /* OUT */
	pv_u8 _pad[7];
};
PV_CHECK_SIZE(struct evtchn_init_control, 24);
PV_CHECK_OFFSET(struct evtchn_init_control, link_bits, 16);

struct evtchn_expand_array {
	pv_u64 array_gfn;
};
PV_CHECK_SIZE(struct evtchn_expand_array, 8);

struct evtchn_set_priority {
	evtchn_port_t port;
	pv_u32 priority;
};
PV_CHECK_SIZE(struct evtchn_set_priority, 8);

#endif
