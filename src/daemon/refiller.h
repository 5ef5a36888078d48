/* The refiller thread: Keeps every pool at its minimum of ready ports; see refiller.c.
 * lifecycle.c starts it with the daemon and joins it at daemon_free. */
#ifndef SF_DAEMON_REFILLER_H
#define SF_DAEMON_REFILLER_H

/* The thread's main; arg is the struct daemon. */
void *refiller_main(void *arg);

#endif
