/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-probe"

#include "config.h"

#include "pc-system-roots.h"

/*
 * PcSystemRoots: the system's CA bundle as the process's default TLS
 * database, read the first time a chain is actually checked against it.
 *
 * Every new TLS connection asks the backend for its default database while
 * it is constructed, before libsoup hands it the session's own roots, and
 * glib-networking's default parses the whole system bundle then: about
 * 7 MB of heap for the service's life, although the edges, the IdP and
 * profiles with their own CA never consult it. With this in its place the
 * bundle is read only when an endpoint really relies on the system roots.
 */

#define DEFAULT_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct _PcSystemRoots
{
  GTlsDatabase  parent_instance;

  GMutex        lock;
  GTlsDatabase *loaded;
};

G_DEFINE_FINAL_TYPE (PcSystemRoots, pc_system_roots, G_TYPE_TLS_DATABASE)

/* Verification may run in a worker thread (the async defaults). */
static GTlsDatabase *
dup_loaded (PcSystemRoots  *self,
            GError        **error)
{
  GTlsDatabase *database;

  g_mutex_lock (&self->lock);
  if (self->loaded == NULL)
    {
      const char *bundle = g_getenv ("SSL_CERT_FILE");

      self->loaded = g_tls_file_database_new (bundle && *bundle ? bundle : DEFAULT_BUNDLE, error);
      if (self->loaded != NULL)
        g_info ("Loaded the system CA bundle %s", bundle && *bundle ? bundle : DEFAULT_BUNDLE);
    }
  database = self->loaded ? g_object_ref (self->loaded) : NULL;
  g_mutex_unlock (&self->lock);

  return database;
}

static GTlsCertificateFlags
pc_system_roots_verify_chain (GTlsDatabase             *database,
                              GTlsCertificate          *chain,
                              const char               *purpose,
                              GSocketConnectable       *identity,
                              GTlsInteraction          *interaction,
                              GTlsDatabaseVerifyFlags   flags,
                              GCancellable             *cancellable,
                              GError                  **error)
{
  g_autoptr(GTlsDatabase) loaded = dup_loaded (PC_SYSTEM_ROOTS (database), error);

  if (loaded == NULL)
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  return g_tls_database_verify_chain (loaded, chain, purpose, identity, interaction, flags,
                                      cancellable, error);
}

static char *
pc_system_roots_create_certificate_handle (GTlsDatabase    *database,
                                           GTlsCertificate *certificate)
{
  g_autoptr(GTlsDatabase) loaded = dup_loaded (PC_SYSTEM_ROOTS (database), NULL);

  return loaded ? g_tls_database_create_certificate_handle (loaded, certificate) : NULL;
}

static GTlsCertificate *
pc_system_roots_lookup_certificate_for_handle (GTlsDatabase             *database,
                                               const char               *handle,
                                               GTlsInteraction          *interaction,
                                               GTlsDatabaseLookupFlags   flags,
                                               GCancellable             *cancellable,
                                               GError                  **error)
{
  g_autoptr(GTlsDatabase) loaded = dup_loaded (PC_SYSTEM_ROOTS (database), error);

  if (loaded == NULL)
    return NULL;
  return g_tls_database_lookup_certificate_for_handle (loaded, handle, interaction, flags,
                                                       cancellable, error);
}

static GTlsCertificate *
pc_system_roots_lookup_certificate_issuer (GTlsDatabase             *database,
                                           GTlsCertificate          *certificate,
                                           GTlsInteraction          *interaction,
                                           GTlsDatabaseLookupFlags   flags,
                                           GCancellable             *cancellable,
                                           GError                  **error)
{
  g_autoptr(GTlsDatabase) loaded = dup_loaded (PC_SYSTEM_ROOTS (database), error);

  if (loaded == NULL)
    return NULL;
  return g_tls_database_lookup_certificate_issuer (loaded, certificate, interaction, flags,
                                                   cancellable, error);
}

static GList *
pc_system_roots_lookup_certificates_issued_by (GTlsDatabase             *database,
                                               GByteArray               *issuer_raw_dn,
                                               GTlsInteraction          *interaction,
                                               GTlsDatabaseLookupFlags   flags,
                                               GCancellable             *cancellable,
                                               GError                  **error)
{
  g_autoptr(GTlsDatabase) loaded = dup_loaded (PC_SYSTEM_ROOTS (database), error);

  if (loaded == NULL)
    return NULL;
  return g_tls_database_lookup_certificates_issued_by (loaded, issuer_raw_dn, interaction, flags,
                                                       cancellable, error);
}

static void
pc_system_roots_finalize (GObject *object)
{
  PcSystemRoots *self = PC_SYSTEM_ROOTS (object);

  g_clear_object (&self->loaded);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pc_system_roots_parent_class)->finalize (object);
}

static void
pc_system_roots_class_init (PcSystemRootsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = pc_system_roots_finalize;

  database_class->verify_chain = pc_system_roots_verify_chain;
  database_class->create_certificate_handle = pc_system_roots_create_certificate_handle;
  database_class->lookup_certificate_for_handle = pc_system_roots_lookup_certificate_for_handle;
  database_class->lookup_certificate_issuer = pc_system_roots_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = pc_system_roots_lookup_certificates_issued_by;
}

static void
pc_system_roots_init (PcSystemRoots *self)
{
  g_mutex_init (&self->lock);
}

/* Once per process, before the first TLS connection. */
void
pc_system_roots_install (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_autoptr(GTlsDatabase) roots = g_object_new (PC_TYPE_SYSTEM_ROOTS, NULL);

      g_tls_backend_set_default_database (g_tls_backend_get_default (), roots);
      g_once_init_leave (&installed, 1);
    }
}
