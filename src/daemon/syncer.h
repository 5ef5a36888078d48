/* The syncer thread: Tells Neutron each port's holder and deletes surplus ports; see syncer.c.
 * lifecycle.c starts it with the daemon and joins it at daemon_free. */
#ifndef SF_DAEMON_SYNCER_H
#define SF_DAEMON_SYNCER_H

/* The thread's main; arg is the struct daemon. */
void *syncer_main(void *arg);

#endif
