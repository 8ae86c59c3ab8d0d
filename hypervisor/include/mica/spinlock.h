/* Ticket spinlocks. Plain C with compiler atomics, so host tests can use them. */
#ifndef MICA_SPINLOCK_H
#define MICA_SPINLOCK_H

#include <mica/types.h>

typedef struct {
	u16 next; /* ticket handed to the next arrival */
	u16 owner; /* ticket now being served */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_pause(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#endif
}

static inline void spin_lock(spinlock_t *l)
{
	u16 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		spin_pause();
}

/* Takes the lock only if it is free at once; returns true on success. */
static inline bool spin_trylock(spinlock_t *l)
{
	u16 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	u16 want = owner;

	return __atomic_compare_exchange_n(&l->next, &want, (u16)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
}

/* Arch hooks: interrupts off, returning the previous state; and that state back. */
u64 arch_irq_save(void);
void arch_irq_restore(u64 flags);

/*
 * The lock with interrupts off on this CPU (for locks an interrupt handler
 * may take too); returns the interrupt state for spin_unlock_irqrestore.
 */
static inline u64 spin_lock_irqsave(spinlock_t *l)
{
	u64 flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif
