/* The fake Neutron's model (fake_neutron.h): its resources, kept in
 * memory under the fake's lock. */
#ifndef SF_TESTS_LIB_FAKE_MODEL_H
#define SF_TESTS_LIB_FAKE_MODEL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct fake;

/* Collections are named as in the URL
 * ("ports", "security-groups"). */
void fake_model_on(struct fake *f);
/* Adds an object (stolen); it must have an "id". */
void fake_model_put(struct fake *f, const char *collection, json_t *obj);
/* A copy of an object (caller json_decref()s), or NULL. */
json_t *fake_model_get(struct fake *f, const char *collection, const char *id);
/* Sets one attribute (value stolen); false when there is no such object. */
bool fake_model_set(struct fake *f, const char *collection, const char *id, const char *key,
		    json_t *value);
bool fake_model_delete(struct fake *f, const char *collection, const char *id);
size_t fake_model_count(struct fake *f, const char *collection);
/* A network "net1" with one IPv4 subnet "sub1" (10.0.0.0/24); their ids
 * are FAKE_NET_ID and FAKE_SUBNET_ID. */
#define FAKE_NET_ID "11111111-1111-4111-8111-111111111111"
#define FAKE_SUBNET_ID "22222222-2222-4222-8222-222222222222"
void fake_model_network(struct fake *f);

/* fake_neutron.c's server: answers one Neutron request from the model. */
enum MHD_Result fake_model_answer(struct fake *f, struct MHD_Connection *conn,
				  const char *method, const char *url, const char *body,
				  size_t len);

#endif
