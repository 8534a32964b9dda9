/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-profile"

#include "config.h"

#include "pc-profile.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pc-util.h"

/*
 * PcProfile: the administrator's policy, a JSON file read with json-c.
 *
 * One schema table lists every key with its type, its default and the
 * validator that checks it; the loader, the typed getters and the README
 * all follow that table. A profile is validated completely on load and is
 * immutable afterwards, so the service can keep the last good one when a
 * new file is refused.
 */

typedef enum
{
  VALUE_SECTION,  /* an object holding further keys */
  VALUE_STRING,
  VALUE_BOOLEAN,
  VALUE_INT,
  VALUE_STRV,
  VALUE_MAP,      /* an object of string → string */
} ValueType;

typedef struct
{
  ValueType   type;
  char       *string;
  gint64      number;   /* also the boolean */
  GStrv       strv;
  GHashTable *map;
} Value;

typedef struct _KeySpec KeySpec;

typedef gboolean (*Validator) (PcProfile      *self,
                               const KeySpec  *spec,
                               json_object    *node,
                               Value          *value,
                               GError        **error);

struct _KeySpec
{
  const char         *key;
  ValueType           type;
  Validator           validate;
  const char         *default_string;
  gint64              default_number;
  gint64              min;
  gint64              max;
  const char * const *choices;  /* URL schemes or enum values */
};

struct _PcProfile
{
  GObject      parent_instance;

  char        *path;
  char        *folder;    /* absolute; file keys are resolved against it */
  json_object *root;
  GHashTable  *values;    /* const char *key (from the schema) → Value */
  GPtrArray   *warnings;  /* NULL-terminated */
};

G_DEFINE_FINAL_TYPE (PcProfile, pc_profile, G_TYPE_OBJECT)

G_DEFINE_QUARK (pc-profile-error-quark, pc_profile_error)

/* Longest string value quoted back in a message, in characters. */
#define FOUND_MAX_CHARS 64

static gboolean validate_section       (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_name          (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_string        (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_boolean       (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_int           (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_host_port     (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_loopback_port (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_url           (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_proxy_url     (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_choice        (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_interface     (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_crypt_hash    (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_file          (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_domain_list   (PcProfile *, const KeySpec *, json_object *, Value *, GError **);
static gboolean validate_address_map   (PcProfile *, const KeySpec *, json_object *, Value *, GError **);

static const char * const http_scheme[] = { "http", NULL };
static const char * const https_scheme[] = { "https", NULL };
static const char * const support_schemes[] = { "http", "https", "mailto", NULL };
static const char * const tunnel_modes[] = { "proxy", "tun", NULL };

#define SECTION(k)            { k, VALUE_SECTION, validate_section }
#define STRING(k, v)          { k, VALUE_STRING, v }
#define STRING_DEFAULT(k, v, d) { k, VALUE_STRING, v, .default_string = d }
#define BOOLEAN(k, d)         { k, VALUE_BOOLEAN, validate_boolean, .default_number = d }
#define INT(k, d, lo, hi)     { k, VALUE_INT, validate_int, .default_number = d, .min = lo, .max = hi }
#define URL(k, schemes)       { k, VALUE_STRING, validate_url, .choices = schemes }

/* The one list of keys (DESIGN §6). A section comes before its keys. */
static const KeySpec schema[] = {
  STRING ("name", validate_name),
  STRING ("ca_file", validate_file),
  INT ("probe_interval_s", 60, 1, 86400),
  BOOLEAN ("fail_close", FALSE),

  SECTION ("support"),
  STRING ("support.contact", validate_string),
  URL ("support.url", support_schemes),

  SECTION ("user_access"),
  BOOLEAN ("user_access.restart_service", TRUE),
  BOOLEAN ("user_access.repair_app", TRUE),
  BOOLEAN ("user_access.export_logs", TRUE),
  STRING ("user_access.logout_password_hash", validate_crypt_hash),
  STRING ("user_access.disable_password_hash", validate_crypt_hash),

  SECTION ("captive_portal"),
  URL ("captive_portal.probe_url", http_scheme),
  INT ("captive_portal.expected_status", 204, 100, 599),
  INT ("captive_portal.fail_open_minutes", 10, 0, 1440),

  SECTION ("disaster_recovery"),
  URL ("disaster_recovery.status_url", https_scheme),

  SECTION ("auth"),
  URL ("auth.issuer", https_scheme),
  STRING_DEFAULT ("auth.client_id", validate_name, "portcullis"),
  STRING ("auth.ca_file", validate_file),

  SECTION ("internet_security"),
  BOOLEAN ("internet_security.enabled", TRUE),
  STRING ("internet_security.edge", validate_host_port),
  STRING ("internet_security.ca_file", validate_file),
  STRING ("internet_security.upstream_proxy", validate_proxy_url),
  { "internet_security.tunnel", VALUE_STRING, validate_choice,
    .default_string = "proxy", .choices = tunnel_modes },
  STRING_DEFAULT ("internet_security.tun_device", validate_interface, "portcullis0"),
  STRING_DEFAULT ("internet_security.local_proxy", validate_loopback_port, "127.0.0.1:9000"),

  SECTION ("private_access"),
  BOOLEAN ("private_access.enabled", TRUE),
  STRING ("private_access.edge", validate_host_port),
  STRING ("private_access.root_ca_file", validate_file),

  SECTION ("digital_experience"),
  BOOLEAN ("digital_experience.enabled", TRUE),
  URL ("digital_experience.server_url", https_scheme),

  SECTION ("trusted_network"),
  { "trusted_network.dns_search_domains", VALUE_STRV, validate_domain_list },
  { "trusted_network.resolve", VALUE_MAP, validate_address_map },
};

#undef SECTION
#undef STRING
#undef STRING_DEFAULT
#undef BOOLEAN
#undef INT
#undef URL

static const char * const empty_strv[] = { NULL };

static const KeySpec *
lookup_spec (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (g_str_equal (schema[i].key, key))
      return &schema[i];

  return NULL;
}

static void
value_free (Value *value)
{
  g_free (value->string);
  g_strfreev (value->strv);
  g_clear_pointer (&value->map, g_hash_table_unref);
  g_free (value);
}

/* Messages. */

/* “text”, with control characters escaped and long text shortened, so
 * a message stays on one readable line. */
static char *
quote_string (const char *text)
{
  GString *quoted = g_string_new ("“");
  glong n_chars = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars++ == FOUND_MAX_CHARS)
        {
          g_string_append (quoted, "…");
          break;
        }

      if (c == '\n')
        g_string_append (quoted, "\\n");
      else if (c == '\t')
        g_string_append (quoted, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (quoted, "\\u%04x", c);
      else
        g_string_append_unichar (quoted, c);
    }

  g_string_append (quoted, "”");
  return g_string_free (quoted, FALSE);
}

/* A JSON string as C text: refused when it holds U+0000, which C
 * strings (and every consumer of this profile) cannot carry. */
static const char *
get_text (json_object *node)
{
  const char *text;

  if (!json_object_is_type (node, json_type_string))
    return NULL;

  text = json_object_get_string (node);
  if (strlen (text) != (gsize) json_object_get_string_len (node))
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    return NULL;

  return text;
}

/* What a value is, for "found …" in a message. */
static char *
describe_json (json_object *node)
{
  switch (json_object_get_type (node))
    {
    case json_type_null:
      return g_strdup ("null");
    case json_type_boolean:
      return g_strdup (json_object_get_boolean (node) ? "true" : "false");
    case json_type_int:
    case json_type_double:
      return g_strdup (json_object_to_json_string_ext (node, JSON_C_TO_STRING_PLAIN));
    case json_type_string:
      if (get_text (node) == NULL)
        return g_strdup ("a string containing U+0000");
      return quote_string (json_object_get_string (node));
    case json_type_array:
      return g_strdup ("an array");
    case json_type_object:
      return g_strdup ("an object");
    default:
      return g_strdup ("an unknown value");
    }
}

/* Like describe_json(), without ever repeating the value: for keys that
 * may hold a secret by mistake (a password typed where its hash belongs). */
static char *
describe_json_hidden (json_object *node)
{
  switch (json_object_get_type (node))
    {
    case json_type_null:
    case json_type_boolean:
    case json_type_array:
    case json_type_object:
      return describe_json (node);
    case json_type_int:
    case json_type_double:
      return g_strdup ("a number (not shown)");
    case json_type_string:
      return g_strdup_printf ("a %ld-character string that is not one (not shown: it may be a password)",
                              g_utf8_strlen (json_object_get_string (node), -1));
    default:
      return g_strdup ("an unknown value");
    }
}

static gboolean
set_invalid (PcProfile   *self,
             GError     **error,
             const char  *key,
             const char  *expected,
             const char  *found)
{
  g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_INVALID,
               "%s: “%s”: expected %s, found %s",
               self->path, key, expected, found);
  return FALSE;
}

static gboolean
set_invalid_node (PcProfile   *self,
                  GError     **error,
                  const char  *key,
                  const char  *expected,
                  json_object *node)
{
  g_autofree char *found = describe_json (node);

  return set_invalid (self, error, key, expected, found);
}

/* Shared checks. */

static gboolean
hostname_is_valid (const char *host)
{
  g_autofree char *ascii = NULL;

  if (host == NULL || *host == '\0' || strlen (host) > 253)
    return FALSE;

  for (const char *p = host; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_' || (guchar) *p >= 0x80))
      return FALSE;

  if (host[0] == '.' || host[0] == '-' || strstr (host, "..") != NULL)
    return FALSE;

  ascii = g_hostname_to_ascii (host);
  return ascii != NULL;
}

static gboolean
parse_port (const char *text,
            guint      *port)
{
  guint64 number = 0;

  if (*text == '\0' || strlen (text) > 5)
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      number = number * 10 + (guint64) (*p - '0');
    }

  if (number < 1 || number > 65535)
    return FALSE;

  *port = (guint) number;
  return TRUE;
}

/* "host:port", "1.2.3.4:port" or "[IPv6]:port". The host comes back
 * without brackets. */
static gboolean
split_host_port (const char  *text,
                 char       **host_out,
                 guint       *port_out)
{
  g_autofree char *host = NULL;
  const char *colon;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        return FALSE;

      host = g_strndup (text + 1, close - text - 1);
      if (strchr (host, ':') == NULL || !g_hostname_is_ip_address (host))
        return FALSE;
      colon = close + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL)
        return FALSE;

      host = g_strndup (text, colon - text);
      if (strchr (host, ':') != NULL || !hostname_is_valid (host))
        return FALSE;
    }

  if (!parse_port (colon + 1, port_out))
    return FALSE;

  *host_out = g_steal_pointer (&host);
  return TRUE;
}

/* Validators. Each checks one JSON node against its schema entry and
 * fills the typed value; the message names what it expected. */

static gboolean
validate_section (PcProfile      *self,
                  const KeySpec  *spec,
                  json_object    *node,
                  Value          *value,
                  GError        **error)
{
  if (!json_object_is_type (node, json_type_object))
    return set_invalid_node (self, error, spec->key, "an object", node);

  return TRUE;
}

static gboolean
validate_string (PcProfile      *self,
                 const KeySpec  *spec,
                 json_object    *node,
                 Value          *value,
                 GError        **error)
{
  const char *text = get_text (node);

  if (text == NULL)
    return set_invalid_node (self, error, spec->key, "a string", node);

  value->string = g_strdup (text);
  return TRUE;
}

static gboolean
validate_name (PcProfile      *self,
               const KeySpec  *spec,
               json_object    *node,
               Value          *value,
               GError        **error)
{
  const char *text = get_text (node);

  if (text == NULL || *text == '\0')
    return set_invalid_node (self, error, spec->key, "a non-empty string", node);

  value->string = g_strdup (text);
  return TRUE;
}

static gboolean
validate_boolean (PcProfile      *self,
                  const KeySpec  *spec,
                  json_object    *node,
                  Value          *value,
                  GError        **error)
{
  if (!json_object_is_type (node, json_type_boolean))
    return set_invalid_node (self, error, spec->key, "true or false", node);

  value->number = json_object_get_boolean (node);
  return TRUE;
}

static gboolean
validate_int (PcProfile      *self,
              const KeySpec  *spec,
              json_object    *node,
              Value          *value,
              GError        **error)
{
  gint64 number = 0;
  gboolean valid = FALSE;

  if (json_object_is_type (node, json_type_int))
    {
      number = json_object_get_int64 (node);
      valid = number >= spec->min && number <= spec->max;
    }

  if (!valid)
    {
      g_autofree char *expected = NULL;

      expected = g_strdup_printf ("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                                  spec->min, spec->max);
      return set_invalid_node (self, error, spec->key, expected, node);
    }

  value->number = number;
  return TRUE;
}

static gboolean
validate_host_port (PcProfile      *self,
                    const KeySpec  *spec,
                    json_object    *node,
                    Value          *value,
                    GError        **error)
{
  const char *text = get_text (node);
  g_autofree char *host = NULL;
  guint port;

  if (text == NULL || !split_host_port (text, &host, &port))
    return set_invalid_node (self, error, spec->key,
                             "“host:port” with a port from 1 to 65535", node);

  value->string = g_strdup (text);
  return TRUE;
}

static gboolean
validate_loopback_port (PcProfile      *self,
                        const KeySpec  *spec,
                        json_object    *node,
                        Value          *value,
                        GError        **error)
{
  const char *text = get_text (node);
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint port;

  if (text != NULL && split_host_port (text, &host, &port))
    address = g_inet_address_new_from_string (host);

  if (address == NULL || !g_inet_address_get_is_loopback (address))
    return set_invalid_node (self, error, spec->key,
                             "a loopback “address:port” such as “127.0.0.1:9000”", node);

  value->string = g_strdup (text);
  return TRUE;
}

static char *
describe_schemes (const char * const *schemes)
{
  GString *text = g_string_new ("a URL starting with ");
  guint n = g_strv_length ((char **) schemes);

  for (guint i = 0; i < n; i++)
    {
      const char *separator = g_str_equal (schemes[i], "mailto") ? ":" : "://";

      if (i > 0)
        g_string_append (text, i == n - 1 ? " or " : ", ");
      g_string_append_printf (text, "“%s%s”", schemes[i], separator);
    }

  return g_string_free (text, FALSE);
}

static gboolean
validate_url (PcProfile      *self,
              const KeySpec  *spec,
              json_object    *node,
              Value          *value,
              GError        **error)
{
  const char *text = get_text (node);
  g_autoptr(GUri) uri = NULL;
  gboolean valid = FALSE;

  if (text != NULL)
    uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  if (uri != NULL && g_strv_contains (spec->choices, g_uri_get_scheme (uri)))
    {
      if (g_str_equal (g_uri_get_scheme (uri), "mailto"))
        valid = *g_uri_get_path (uri) != '\0';
      else
        {
          const char *host = g_uri_get_host (uri);

          /* "http:/x" parses, but is not what anyone meant. */
          valid = g_str_has_prefix (text + strlen (g_uri_get_scheme (uri)), "://") &&
                  host != NULL &&
                  (hostname_is_valid (host) || g_hostname_is_ip_address (host));
        }
    }

  if (!valid)
    {
      g_autofree char *expected = describe_schemes (spec->choices);

      return set_invalid_node (self, error, spec->key, expected, node);
    }

  value->string = g_strdup (text);
  return TRUE;
}

/* The upstream proxy takes no path and no credentials: a credential in
 * the profile would be a secret in every log bundle. */
static gboolean
validate_proxy_url (PcProfile      *self,
                    const KeySpec  *spec,
                    json_object    *node,
                    Value          *value,
                    GError        **error)
{
  const char *text = get_text (node);
  g_autoptr(GUri) uri = NULL;
  gboolean valid = FALSE;

  if (text != NULL && g_str_has_prefix (text, "http://"))
    uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  if (uri != NULL)
    {
      const char *host = g_uri_get_host (uri);
      const char *path = g_uri_get_path (uri);

      valid = g_uri_get_userinfo (uri) == NULL &&
              g_uri_get_query (uri) == NULL &&
              g_uri_get_fragment (uri) == NULL &&
              (*path == '\0' || g_str_equal (path, "/")) &&
              g_uri_get_port (uri) >= 1 && g_uri_get_port (uri) <= 65535 &&
              host != NULL &&
              (hostname_is_valid (host) || g_hostname_is_ip_address (host));
    }

  if (uri != NULL && g_uri_get_userinfo (uri) != NULL)
    return set_invalid (self, error, spec->key,
                        "“http://host:port” with a port from 1 to 65535",
                        "a URL with a user name or password (not shown)");

  if (!valid)
    return set_invalid_node (self, error, spec->key,
                             "“http://host:port” with a port from 1 to 65535", node);

  value->string = g_strdup (text);
  return TRUE;
}

static gboolean
validate_choice (PcProfile      *self,
                 const KeySpec  *spec,
                 json_object    *node,
                 Value          *value,
                 GError        **error)
{
  const char *text = get_text (node);

  if (text == NULL || !g_strv_contains (spec->choices, text))
    {
      g_autoptr(GString) expected = g_string_new (NULL);
      guint n = g_strv_length ((char **) spec->choices);

      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append (expected, i == n - 1 ? " or " : ", ");
          g_string_append_printf (expected, "“%s”", spec->choices[i]);
        }

      return set_invalid_node (self, error, spec->key, expected->str, node);
    }

  value->string = g_strdup (text);
  return TRUE;
}

/* A Linux interface name: at most IFNAMSIZ - 1 bytes, no '/', ':' or
 * white space, and not "." or "..". */
static gboolean
validate_interface (PcProfile      *self,
                    const KeySpec  *spec,
                    json_object    *node,
                    Value          *value,
                    GError        **error)
{
  const char *text = get_text (node);
  gboolean valid = text != NULL && *text != '\0' && strlen (text) <= 15 &&
                   !g_str_equal (text, ".") && !g_str_equal (text, "..");

  for (const char *p = text; valid && *p != '\0'; p++)
    if (*p == '/' || *p == ':' || g_ascii_isspace (*p) || !g_ascii_isprint (*p))
      valid = FALSE;

  if (!valid)
    return set_invalid_node (self, error, spec->key,
                             "a network interface name of 1 to 15 characters without “/”, “:” or spaces",
                             node);

  value->string = g_strdup (text);
  return TRUE;
}

/* A hash libxcrypt accepts as a strong method, whole: hashing any
 * password with it as the setting gives a result of the same shape. */
static gboolean
crypt_hash_is_valid (const char *hash)
{
  g_autofree struct crypt_data *data = NULL;
  const char *last_dollar;
  const char *result;

  if (hash[0] != '$' || crypt_checksalt (hash) != CRYPT_SALT_OK)
    return FALSE;

  last_dollar = strrchr (hash, '$');
  if (last_dollar == hash || last_dollar[1] == '\0')
    return FALSE;

  data = g_new0 (struct crypt_data, 1);
  result = crypt_rn ("", hash, data, sizeof *data);
  if (result == NULL || result[0] != '$')
    return FALSE;

  return strlen (result) == strlen (hash) &&
         strncmp (result, hash, last_dollar - hash + 1) == 0;
}

static gboolean
validate_crypt_hash (PcProfile      *self,
                     const KeySpec  *spec,
                     json_object    *node,
                     Value          *value,
                     GError        **error)
{
  const char *text = get_text (node);

  if (text == NULL || !crypt_hash_is_valid (text))
    {
      g_autofree char *found = describe_json_hidden (node);

      return set_invalid (self, error, spec->key,
                          "a crypt(3) hash such as “$y$…” (yescrypt) or “$6$…” (SHA-512)",
                          found);
    }

  value->string = g_strdup (text);
  return TRUE;
}

/* A file the service reads later (a CA bundle): resolved against the
 * profile's folder now, and checked now, so a typo is refused with the
 * profile instead of failing a connection later. */
static gboolean
validate_file (PcProfile      *self,
               const KeySpec  *spec,
               json_object    *node,
               Value          *value,
               GError        **error)
{
  const char *text = get_text (node);
  g_autofree char *path = NULL;
  g_autofree char *found = NULL;
  struct stat st;
  int fd;
  int saved_errno = 0;

  if (text == NULL || *text == '\0')
    return set_invalid_node (self, error, spec->key, "the path of a readable file", node);

  path = g_canonicalize_filename (text, self->folder);
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    saved_errno = errno;
  else if (fstat (fd, &st) != 0)
    saved_errno = errno;
  else if (S_ISDIR (st.st_mode))
    saved_errno = EISDIR;
  else if (!S_ISREG (st.st_mode))
    saved_errno = EINVAL;

  if (fd >= 0)
    g_close (fd, NULL);

  if (saved_errno == 0)
    {
      value->string = g_steal_pointer (&path);
      return TRUE;
    }

  found = g_strdup_printf ("“%s” (%s)", path,
                           saved_errno == EINVAL ? "not a regular file" : g_strerror (saved_errno));
  return set_invalid (self, error, spec->key, "the path of a readable file", found);
}

static gboolean
validate_domain_list (PcProfile      *self,
                      const KeySpec  *spec,
                      json_object    *node,
                      Value          *value,
                      GError        **error)
{
  g_autoptr(GPtrArray) domains = NULL;
  gsize n;

  if (!json_object_is_type (node, json_type_array))
    return set_invalid_node (self, error, spec->key, "an array of domain names", node);

  n = json_object_array_length (node);
  domains = g_ptr_array_new_full (n + 1, g_free);

  for (gsize i = 0; i < n; i++)
    {
      json_object *element = json_object_array_get_idx (node, i);
      const char *text = get_text (element);

      if (text == NULL || !hostname_is_valid (text))
        {
          g_autofree char *key = g_strdup_printf ("%s[%" G_GSIZE_FORMAT "]", spec->key, i);

          return set_invalid_node (self, error, key,
                                   "a domain name such as “corp.example”", element);
        }

      g_ptr_array_add (domains, g_strdup (text));
    }

  g_ptr_array_add (domains, NULL);
  value->strv = (GStrv) g_ptr_array_free (g_steal_pointer (&domains), FALSE);
  return TRUE;
}

static gboolean
validate_address_map (PcProfile      *self,
                      const KeySpec  *spec,
                      json_object    *node,
                      Value          *value,
                      GError        **error)
{
  g_autoptr(GHashTable) map = NULL;
  struct json_object_iterator it;
  struct json_object_iterator end;

  if (!json_object_is_type (node, json_type_object))
    return set_invalid_node (self, error, spec->key,
                             "an object of host names and IP addresses", node);

  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  it = json_object_iter_begin (node);
  end = json_object_iter_end (node);
  for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it))
    {
      const char *host = json_object_iter_peek_name (&it);
      json_object *element = json_object_iter_peek_value (&it);
      const char *address = get_text (element);
      g_autofree char *key = g_strdup_printf ("%s[\"%s\"]", spec->key, host);

      if (!hostname_is_valid (host))
        {
          g_autofree char *found = quote_string (host);

          return set_invalid (self, error, spec->key,
                              "host names as keys, such as “intranet.corp.example”", found);
        }

      if (address == NULL || !g_hostname_is_ip_address (address))
        return set_invalid_node (self, error, key,
                                 "an IP address such as “192.0.2.10”", element);

      g_hash_table_insert (map, g_strdup (host), g_strdup (address));
    }

  value->map = g_steal_pointer (&map);
  return TRUE;
}

/* Loading. */

static void
add_warning (PcProfile  *self,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
add_warning (PcProfile  *self,
             const char *format,
             ...)
{
  va_list args;
  char *warning;

  va_start (args, format);
  warning = g_strdup_vprintf (format, args);
  va_end (args);

  /* g_message, not g_warning: an unknown key is the administrator's
   * business, and must not abort programs run with fatal warnings. */
  g_message ("%s", warning);

  /* Keep the array NULL-terminated for pc_profile_get_warnings(). */
  g_ptr_array_insert (self->warnings, self->warnings->len - 1, warning);
}

static gboolean
load_object (PcProfile    *self,
             json_object  *object,
             const char   *prefix,
             GError      **error)
{
  struct json_object_iterator it = json_object_iter_begin (object);
  struct json_object_iterator end = json_object_iter_end (object);

  for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it))
    {
      const char *name = json_object_iter_peek_name (&it);
      json_object *node = json_object_iter_peek_value (&it);
      g_autofree char *key = NULL;
      const KeySpec *spec = NULL;
      Value *value;

      key = prefix != NULL ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);

      /* "a.b" as one name is not the key b of section a. */
      if (strchr (name, '.') == NULL)
        spec = lookup_spec (key);

      if (spec == NULL)
        {
          g_autofree char *quoted = quote_string (key);

          if (strchr (name, '.') != NULL)
            add_warning (self, "%s: unknown key %s ignored (sections are objects: write {\"a\": {\"b\": …}}, not \"a.b\")",
                         self->path, quoted);
          else
            add_warning (self, "%s: unknown key %s ignored", self->path, quoted);
          continue;
        }

      value = g_new0 (Value, 1);
      value->type = spec->type;
      if (!spec->validate (self, spec, node, value, error))
        {
          value_free (value);
          return FALSE;
        }

      g_hash_table_replace (self->values, (gpointer) spec->key, value);

      if (spec->type == VALUE_SECTION && !load_object (self, node, spec->key, error))
        return FALSE;
    }

  return TRUE;
}

static void
offset_to_line_column (const char *data,
                       gsize       offset,
                       guint      *line,
                       guint      *column)
{
  const char *line_start = data;

  *line = 1;
  for (gsize i = 0; i < offset; i++)
    if (data[i] == '\n')
      {
        *line += 1;
        line_start = data + i + 1;
      }

  /* Characters, not bytes: what an editor shows. The data before the
   * offset has been validated as UTF-8. */
  *column = g_utf8_strlen (line_start, data + offset - line_start) + 1;
}

static gboolean
set_parse_error (PcProfile   *self,
                 GError     **error,
                 const char  *data,
                 gsize        offset,
                 const char  *problem)
{
  guint line;
  guint column;

  offset_to_line_column (data, offset, &line, &column);
  g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE,
               "%s: not valid JSON: %s at line %u, column %u (byte offset %" G_GSIZE_FORMAT ")",
               self->path, problem, line, column, offset);
  return FALSE;
}

static json_object *
parse_json (PcProfile   *self,
            const char  *data,
            gsize        length,
            GError     **error)
{
  g_autoptr(json_object) root = NULL;
  struct json_tokener *tokener;
  enum json_tokener_error tokener_error;
  const char *invalid = NULL;
  gsize end;

  if (!g_utf8_validate_len (data, length, &invalid))
    {
      gsize offset = invalid - data;

      if (*invalid == '\0')
        g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE,
                     "%s: not valid UTF-8: a NUL byte at byte offset %" G_GSIZE_FORMAT,
                     self->path, offset);
      else
        g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE,
                     "%s: not valid UTF-8: byte 0x%02x at byte offset %" G_GSIZE_FORMAT,
                     self->path, (guchar) *invalid, offset);
      return NULL;
    }

  if (length == 0)
    {
      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE,
                   "%s: not valid JSON: the file is empty", self->path);
      return NULL;
    }

  tokener = json_tokener_new ();
  json_tokener_set_flags (tokener, JSON_TOKENER_STRICT);
  root = json_tokener_parse_ex (tokener, data, (int) length);
  tokener_error = json_tokener_get_error (tokener);
  end = json_tokener_get_parse_end (tokener);
  json_tokener_free (tokener);

  if (tokener_error == json_tokener_continue)
    {
      set_parse_error (self, error, data, length, "unexpected end of data");
      return NULL;
    }
  else if (tokener_error != json_tokener_success)
    {
      set_parse_error (self, error, data, end, json_tokener_error_desc (tokener_error));
      return NULL;
    }

  /* In strict mode the tokener itself refuses text after the value;
   * this only guards against a json-c that would not. */
  if (end != length)
    {
      set_parse_error (self, error, data, end, "unexpected character");
      return NULL;
    }

  if (!json_object_is_type (root, json_type_object))
    {
      g_autofree char *found = describe_json (root);

      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_PARSE,
                   "%s: expected a JSON object at the top level, found %s",
                   self->path, found);
      return NULL;
    }

  return g_steal_pointer (&root);
}

static gboolean
pc_profile_load (PcProfile   *self,
                 const char  *data,
                 gsize        length,
                 GError     **error)
{
  if (length > PC_PROFILE_MAX_SIZE)
    {
      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ,
                   "%s: the profile is too large: %" G_GSIZE_FORMAT " bytes, the limit is %d bytes (1 MiB)",
                   self->path, length, PC_PROFILE_MAX_SIZE);
      return FALSE;
    }

  self->root = parse_json (self, data, length, error);
  if (self->root == NULL)
    return FALSE;

  if (!load_object (self, self->root, NULL, error))
    return FALSE;

  if (!g_hash_table_contains (self->values, "name"))
    return set_invalid (self, error, "name", "a non-empty string", "nothing (the key is required)");

  return TRUE;
}

static PcProfile *
pc_profile_new (const char *path)
{
  PcProfile *self = g_object_new (PC_TYPE_PROFILE, NULL);
  g_autofree char *folder = g_path_get_dirname (path);

  self->path = g_strdup (path);
  self->folder = g_canonicalize_filename (folder, NULL);
  return self;
}

/**
 * pc_profile_new_from_data:
 * @path: where @data came from: messages name it, and file keys are
 *   resolved against its folder
 * @data: the JSON text, not necessarily NUL-terminated
 * @length: the length of @data in bytes
 * @error: return location for a %PC_PROFILE_ERROR
 *
 * Returns: (transfer full) (nullable): the validated profile, or %NULL
 *   with @error set naming the file, the key, what was expected and what
 *   was found
 */
PcProfile *
pc_profile_new_from_data (const char  *path,
                          const char  *data,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(PcProfile) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = pc_profile_new (path);
  if (!pc_profile_load (self, data != NULL ? data : "", length, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Reads at most PC_PROFILE_MAX_SIZE + 1 bytes, so a huge file (or a
 * device that never ends) is refused without being read whole. */
static char *
read_profile_file (const char  *path,
                   gsize       *length_out,
                   GError     **error)
{
  g_autofree char *buffer = NULL;
  gsize length = 0;
  struct stat st;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ,
                   "%s: cannot read the profile: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > PC_PROFILE_MAX_SIZE)
    {
      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ,
                   "%s: the profile is too large: %" G_GINT64_FORMAT " bytes, the limit is %d bytes (1 MiB)",
                   path, (gint64) st.st_size, PC_PROFILE_MAX_SIZE);
      g_close (fd, NULL);
      return NULL;
    }

  buffer = g_malloc (PC_PROFILE_MAX_SIZE + 1);
  while (length < PC_PROFILE_MAX_SIZE + 1)
    {
      gssize n = read (fd, buffer + length, PC_PROFILE_MAX_SIZE + 1 - length);

      if (n < 0 && errno == EINTR)
        continue;

      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ,
                       "%s: cannot read the profile: %s", path, g_strerror (saved_errno));
          g_close (fd, NULL);
          return NULL;
        }

      if (n == 0)
        break;

      length += n;
    }

  g_close (fd, NULL);

  if (length > PC_PROFILE_MAX_SIZE)
    {
      g_set_error (error, PC_PROFILE_ERROR, PC_PROFILE_ERROR_READ,
                   "%s: the profile is too large: more than %d bytes, the limit is %d bytes (1 MiB)",
                   path, PC_PROFILE_MAX_SIZE, PC_PROFILE_MAX_SIZE);
      return NULL;
    }

  *length_out = length;
  return g_steal_pointer (&buffer);
}

/**
 * pc_profile_new_from_file:
 * @path: the profile's path
 * @error: return location for a %PC_PROFILE_ERROR
 *
 * Reads and validates the profile at @path (synchronously: it is at most
 * 1 MiB and read once at start-up and on UpdatePolicy()).
 *
 * Returns: (transfer full) (nullable): the profile, or %NULL with @error set
 */
PcProfile *
pc_profile_new_from_file (const char  *path,
                          GError     **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = read_profile_file (path, &length, error);
  if (data == NULL)
    return NULL;

  return pc_profile_new_from_data (path, data, length, error);
}

/* Getters. */

static const Value *
lookup_value (PcProfile     *self,
              const char    *key,
              ValueType      type,
              const KeySpec **spec_out)
{
  const KeySpec *spec = lookup_spec (key);

  if (spec == NULL || spec->type != type)
    {
      g_critical ("Profile key “%s” is not a key of this type in the schema", key);
      *spec_out = NULL;
      return NULL;
    }

  *spec_out = spec;
  return g_hash_table_lookup (self->values, key);
}

/**
 * pc_profile_get_string:
 *
 * Returns: (nullable): the value of a string, URL, host:port, enum or
 *   file key (file keys as absolute paths), its default when absent, or
 *   %NULL when it is absent and has none
 */
const char *
pc_profile_get_string (PcProfile  *self,
                       const char *key)
{
  const KeySpec *spec;
  const Value *value;

  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  value = lookup_value (self, key, VALUE_STRING, &spec);
  if (spec == NULL)
    return NULL;

  return value != NULL ? value->string : spec->default_string;
}

gboolean
pc_profile_get_boolean (PcProfile  *self,
                        const char *key)
{
  const KeySpec *spec;
  const Value *value;

  g_return_val_if_fail (PC_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  value = lookup_value (self, key, VALUE_BOOLEAN, &spec);
  if (spec == NULL)
    return FALSE;

  return value != NULL ? value->number : spec->default_number;
}

gint64
pc_profile_get_int (PcProfile  *self,
                    const char *key)
{
  const KeySpec *spec;
  const Value *value;

  g_return_val_if_fail (PC_IS_PROFILE (self), 0);
  g_return_val_if_fail (key != NULL, 0);

  value = lookup_value (self, key, VALUE_INT, &spec);
  if (spec == NULL)
    return 0;

  return value != NULL ? value->number : spec->default_number;
}

/**
 * pc_profile_get_strv:
 *
 * Returns: (transfer none): the list, empty (never %NULL) when absent
 */
const char * const *
pc_profile_get_strv (PcProfile  *self,
                     const char *key)
{
  const KeySpec *spec;
  const Value *value;

  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  value = lookup_value (self, key, VALUE_STRV, &spec);
  if (spec == NULL)
    return NULL;

  return value != NULL ? (const char * const *) value->strv : empty_strv;
}

/**
 * pc_profile_get_resolve_table:
 *
 * Returns: (transfer none): trusted_network.resolve, host name → IP
 *   address, empty when absent
 */
GHashTable *
pc_profile_get_resolve_table (PcProfile *self)
{
  const KeySpec *spec;
  Value *value;

  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);

  value = (Value *) lookup_value (self, "trusted_network.resolve", VALUE_MAP, &spec);
  if (value == NULL)
    {
      value = g_new0 (Value, 1);
      value->type = VALUE_MAP;
      value->map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->values, (gpointer) spec->key, value);
    }

  return value->map;
}

const char *
pc_profile_get_path (PcProfile *self)
{
  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);

  return self->path;
}

/**
 * pc_profile_get_warnings:
 *
 * Returns: (transfer none): what the loader ignored (unknown keys), one
 *   message per entry naming the file and the key; empty when none
 */
const char * const *
pc_profile_get_warnings (PcProfile *self)
{
  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);

  return (const char * const *) self->warnings->pdata;
}

const char *
pc_profile_get_name (PcProfile *self)
{
  return pc_profile_get_string (self, "name");
}

/* A module is enabled when its section is present and its "enabled" is
 * not false: a profile lists the modules the organisation uses. */
gboolean
pc_profile_get_module_enabled (PcProfile    *self,
                               PcModuleKind  kind)
{
  const char *section;
  g_autofree char *enabled_key = NULL;

  g_return_val_if_fail (PC_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (kind < PC_N_MODULES, FALSE);

  section = pc_module_kind_to_string (kind);
  if (!g_hash_table_contains (self->values, section))
    return FALSE;

  enabled_key = g_strconcat (section, ".enabled", NULL);
  return pc_profile_get_boolean (self, enabled_key);
}

PcTunnelMode
pc_profile_get_tunnel_mode (PcProfile *self)
{
  const char *tunnel;

  g_return_val_if_fail (PC_IS_PROFILE (self), PC_TUNNEL_PROXY);

  tunnel = pc_profile_get_string (self, "internet_security.tunnel");
  return g_strcmp0 (tunnel, "tun") == 0 ? PC_TUNNEL_TUN : PC_TUNNEL_PROXY;
}

/**
 * pc_profile_build_policy:
 *
 * Returns: (transfer floating): the Manager's Policy property, a{sv}
 */
GVariant *
pc_profile_build_policy (PcProfile *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *contact;
  const char *url;

  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);

  contact = pc_profile_get_string (self, "support.contact");
  url = pc_profile_get_string (self, "support.url");

  g_variant_builder_add (&builder, "{sv}", "restart-service",
                         g_variant_new_boolean (pc_profile_get_boolean (self, "user_access.restart_service")));
  g_variant_builder_add (&builder, "{sv}", "repair-app",
                         g_variant_new_boolean (pc_profile_get_boolean (self, "user_access.repair_app")));
  g_variant_builder_add (&builder, "{sv}", "export-logs",
                         g_variant_new_boolean (pc_profile_get_boolean (self, "user_access.export_logs")));
  g_variant_builder_add (&builder, "{sv}", "logout-password",
                         g_variant_new_boolean (pc_profile_get_string (self, "user_access.logout_password_hash") != NULL));
  g_variant_builder_add (&builder, "{sv}", "disable-password",
                         g_variant_new_boolean (pc_profile_get_string (self, "user_access.disable_password_hash") != NULL));
  g_variant_builder_add (&builder, "{sv}", "fail-close",
                         g_variant_new_boolean (pc_profile_get_boolean (self, "fail_close")));
  g_variant_builder_add (&builder, "{sv}", "support-contact",
                         g_variant_new_string (contact != NULL ? contact : ""));
  g_variant_builder_add (&builder, "{sv}", "support-url",
                         g_variant_new_string (url != NULL ? url : ""));

  return g_variant_builder_end (&builder);
}

static gboolean
key_is_secret (const char *key)
{
  g_autofree char *lower = g_ascii_strdown (key, -1);

  return g_str_has_suffix (lower, "_hash") ||
         strstr (lower, "password") != NULL ||
         strstr (lower, "secret") != NULL ||
         strstr (lower, "token") != NULL;
}

static void
redact_json (json_object *node)
{
  if (json_object_is_type (node, json_type_array))
    {
      for (gsize i = 0; i < json_object_array_length (node); i++)
        redact_json (json_object_array_get_idx (node, i));
    }
  else if (json_object_is_type (node, json_type_object))
    {
      g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
      struct json_object_iterator it = json_object_iter_begin (node);
      struct json_object_iterator end = json_object_iter_end (node);

      for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it))
        {
          const char *name = json_object_iter_peek_name (&it);

          if (key_is_secret (name))
            g_ptr_array_add (secrets, g_strdup (name));
          else
            redact_json (json_object_iter_peek_value (&it));
        }

      /* Replaced after the walk, not while iterating the object. */
      for (guint i = 0; i < secrets->len; i++)
        json_object_object_add (node, g_ptr_array_index (secrets, i),
                                json_object_new_string ("(redacted)"));
    }
}

/**
 * pc_profile_dup_redacted_json:
 *
 * A copy of the profile as loaded (unknown keys included, for support),
 * with the value of every key ending in "_hash" or naming a password,
 * secret or token replaced by "(redacted)", at any depth.
 *
 * Returns: (transfer full): the copy
 */
json_object *
pc_profile_dup_redacted_json (PcProfile *self)
{
  json_object *copy = NULL;

  g_return_val_if_fail (PC_IS_PROFILE (self), NULL);

  if (json_object_deep_copy (self->root, &copy, NULL) != 0)
    g_error ("Out of memory copying the profile");

  redact_json (copy);
  return copy;
}

/* GObject. */

static void
pc_profile_finalize (GObject *object)
{
  PcProfile *self = (PcProfile *) object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->folder, g_free);
  g_clear_pointer (&self->root, json_object_put);
  g_clear_pointer (&self->values, g_hash_table_unref);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);

  G_OBJECT_CLASS (pc_profile_parent_class)->finalize (object);
}

static void
pc_profile_class_init (PcProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pc_profile_finalize;
}

static void
pc_profile_init (PcProfile *self)
{
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) value_free);
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->warnings, NULL);
}
