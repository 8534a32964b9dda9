/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-probe"

#include "config.h"

#include <string.h>

#include "pc-probe.h"

/*
 * Trusted network (DESIGN §5, NetworkType): the network is the
 * organization's own when every criterion the profile sets holds: one of
 * trusted_network.dns_search_domains is a search domain in use (read from
 * <sysroot>/etc/resolv.conf), and each host of trusted_network.resolve
 * resolves to its expected address. Every criterion, not any: a network
 * that only looks a bit like the office must not skip the tunnel.
 */

typedef struct
{
  char       **search_domains;
  guint        pending;
  gboolean     trusted;
  GString     *reason;
} TrustData;

static void
trust_data_free (TrustData *data)
{
  g_strfreev (data->search_domains);
  g_string_free (data->reason, TRUE);
  g_free (data);
}

static void
note (TrustData  *data,
      gboolean    holds,
      const char *what)
{
  if (!holds)
    data->trusted = FALSE;
  if (data->reason->len > 0)
    g_string_append (data->reason, "; ");
  g_string_append (data->reason, what);
}

static void
trust_step_done (GTask *task)
{
  TrustData *data = g_task_get_task_data (task);

  if (--data->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_boolean (task, data->trusted);
}

/* "search a.example b.example" and "domain a.example" lines. */
static gboolean
resolv_conf_has_domain (const char         *contents,
                        const char * const *wanted,
                        char              **found)
{
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);

      if (words[0] == NULL || (!g_str_equal (words[0], "search") && !g_str_equal (words[0], "domain")))
        continue;
      for (guint j = 1; words[j] != NULL; j++)
        {
          g_autofree char *domain = g_ascii_strdown (words[j], -1);
          gsize length = strlen (domain);

          if (length > 1 && domain[length - 1] == '.')
            domain[length - 1] = '\0';
          for (guint k = 0; wanted[k] != NULL; k++)
            if (g_ascii_strcasecmp (domain, wanted[k]) == 0)
              {
                *found = g_strdup (wanted[k]);
                return TRUE;
              }
        }
    }
  return FALSE;
}

static void
on_resolv_conf_loaded_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrustData *data = g_task_get_task_data (task);
  g_autofree char *contents = NULL;
  g_autofree char *found = NULL;

  if (g_file_load_contents_finish (G_FILE (source), result, &contents, NULL, NULL, NULL) &&
      resolv_conf_has_domain (contents, (const char * const *) data->search_domains, &found))
    {
      g_autofree char *what = g_strdup_printf ("DNS search domain %s in use", found);

      note (data, TRUE, what);
    }
  else
    note (data, FALSE, "none of the trusted DNS search domains is in use");

  trust_step_done (task);
}

typedef struct
{
  GTask *task;
  char  *host;
  char  *expected;
} Lookup;

static void
on_resolved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GTask) task = lookup->task;
  TrustData *data = g_task_get_task_data (task);
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GInetAddress) expected = g_inet_address_new_from_string (lookup->expected);
  g_autofree char *what = NULL;
  gboolean matches = FALSE;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, NULL);
  for (GList *l = addresses; l != NULL && expected != NULL; l = l->next)
    if (g_inet_address_equal (l->data, expected))
      matches = TRUE;

  what = matches ? g_strdup_printf ("%s resolves to %s", lookup->host, lookup->expected)
                 : g_strdup_printf ("%s does not resolve to %s", lookup->host, lookup->expected);
  note (data, matches, what);

  g_free (lookup->host);
  g_free (lookup->expected);
  g_free (lookup);
  trust_step_done (task);
}

void
pc_trusted_network_check_async (const char * const  *search_domains,
                                GHashTable          *resolve,
                                const char          *sysroot,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  TrustData *data = g_new0 (TrustData, 1);
  GHashTableIter iter;
  gpointer host, address;

  g_task_set_source_tag (task, pc_trusted_network_check_async);
  g_task_set_task_data (task, data, (GDestroyNotify) trust_data_free);
  data->search_domains = g_strdupv ((char **) search_domains);
  data->reason = g_string_new (NULL);
  data->pending = 1;

  /* No criteria, no trusted network. */
  data->trusted = (search_domains != NULL && search_domains[0] != NULL) ||
                  (resolve != NULL && g_hash_table_size (resolve) > 0);
  if (!data->trusted)
    g_string_append (data->reason, "no trusted-network criteria");

  if (search_domains != NULL && search_domains[0] != NULL)
    {
      g_autofree char *path = g_build_filename (sysroot, "etc", "resolv.conf", NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      data->pending++;
      g_file_load_contents_async (file, cancellable, on_resolv_conf_loaded_cb, g_object_ref (task));
    }

  if (resolve != NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();

      g_hash_table_iter_init (&iter, resolve);
      while (g_hash_table_iter_next (&iter, &host, &address))
        {
          Lookup *lookup = g_new0 (Lookup, 1);

          lookup->task = g_object_ref (task);
          lookup->host = g_strdup (host);
          lookup->expected = g_strdup (address);
          data->pending++;
          g_resolver_lookup_by_name_async (resolver, host, cancellable, on_resolved_cb, lookup);
        }
    }

  trust_step_done (task);
}

gboolean
pc_trusted_network_check_finish (GAsyncResult  *result,
                                 char         **reason,
                                 GError       **error)
{
  TrustData *data = g_task_get_task_data (G_TASK (result));

  if (reason != NULL)
    *reason = g_strdup (data->reason->str);
  return g_task_propagate_boolean (G_TASK (result), error);
}
