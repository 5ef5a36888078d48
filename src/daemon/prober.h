/* The prober thread: while the Neutron breaker is open, one cheap call now
 * and then finds out whether the path healed; see prober.c.  lifecycle.c
 * starts it with the daemon and joins it at daemon_free. */
#ifndef SF_DAEMON_PROBER_H
#define SF_DAEMON_PROBER_H

/* The thread's main; arg is the struct daemon. */
void *prober_main(void *arg);

#endif
