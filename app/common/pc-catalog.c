/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "pc-catalog.h"

/*
 * The status catalog: one table for the service, the window, the tray and
 * portcullisctl. Titles are the vendor's exact strings; explanations and
 * guidance are ours, keeping the meaning and the order of the steps.
 */

#define RESTART_STEP  N_("If the error persists, open More and click Restart Service.")
#define SUPPORT_STEP  N_("If it still continues, contact {support}.")
#define RELOGIN_STEP  N_("If it still continues, log out of Portcullis and log in again.")
#define LAST_SUPPORT  N_("If the error persists after that, contact {support}.")
#define RETRY_STEP    N_("Click Retry, next to Status.")
#define AUTH_STEP     N_("Click Authenticate, next to Authentication Status.")

static const PcStatusInfo catalog[] = {
  {
    "intermediate-authentication-error",
    N_("Intermediate Authentication Error"),
    N_("The tunnel could not be authenticated because a proxy between this "
       "device and the service intercepted the sign-in request."),
    PC_SEVERITY_WARNING, PC_MODULES_IS,
    { 0 },
    { PC_STEP_END },
    { { 0, N_("No action is needed: Portcullis tries again by itself.") } },
  },
  {
    "authenticating",
    N_("Authenticating..."),
    N_("You are signed in and the tunnel is waiting for your user "
       "configuration to arrive."),
    PC_SEVERITY_CONNECTING, PC_MODULES_IS | PC_MODULES_PA,
    { 0 },
    { PC_STEP_END },
    { { 0, N_("No action is needed: this clears by itself once your configuration arrives.") } },
  },
  {
    "authentication-error",
    N_("Authentication Error"),
    N_("The tunnel could not be authenticated."),
    PC_SEVERITY_ERROR, PC_MODULES_IS | PC_MODULES_PA,
    { PC_ACTION_RETRY, PC_ACTION_AUTHENTICATE, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_LOG_OUT_AND_IN, PC_STEP_CONTACT_SUPPORT },
    {
      { PC_MODULES_IS, RETRY_STEP },
      { PC_MODULES_PA, AUTH_STEP },
      { 0, RESTART_STEP },
      { 0, RELOGIN_STEP },
      { 0, LAST_SUPPORT },
    },
  },
  {
    "captive-portal-detected",
    N_("Captive Portal Detected"),
    N_("This network shows a sign-in page first (a captive portal, as in hotels "
       "and airports), so for now Portcullis lets traffic through without "
       "protection (fail-open)."),
    PC_SEVERITY_WARNING, PC_MODULES_IS,
    { PC_ACTION_OPEN_BROWSER | PC_ACTION_RETRY, 0, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    {
      { 0, N_("Click Open Browser, next to Status, and complete the network's sign-in page.") },
      { 0, N_("If you did not finish in time, click Retry and try again.") },
      { 0, RESTART_STEP },
      { 0, SUPPORT_STEP },
    },
  },
  {
    "captive-portal-error",
    N_("Captive Portal Error"),
    N_("The network's sign-in page was not completed within the time your "
       "organization allows. This message goes away when you reconnect."),
    PC_SEVERITY_ERROR, PC_MODULES_IS,
    { PC_ACTION_RETRY, 0, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    {
      { 0, N_("Click Retry, next to Status, then complete the network's sign-in page.") },
      { 0, N_("If you do not finish in time, click Retry again.") },
      { 0, RESTART_STEP },
      { 0, SUPPORT_STEP },
    },
  },
  {
    "chaining-authentication-error",
    N_("Chaining Authentication Error"),
    N_("The tunnel could not be authenticated through the chained upstream "
       "proxy."),
    PC_SEVERITY_ERROR, PC_MODULES_IS | PC_MODULES_PA,
    { PC_ACTION_RETRY, PC_ACTION_AUTHENTICATE, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_LOG_OUT_AND_IN, PC_STEP_CONTACT_SUPPORT },
    {
      { PC_MODULES_IS, RETRY_STEP },
      { PC_MODULES_PA, AUTH_STEP },
      { 0, RESTART_STEP },
      { 0, RELOGIN_STEP },
      { 0, LAST_SUPPORT },
    },
  },
  {
    "connection-error",
    N_("Connection Error"),
    N_("The service edge cannot be reached."),
    /* DESIGN lists it for Internet Security; an unreachable private edge
     * is the same failure for Private Access, and says so the same way. */
    PC_SEVERITY_ERROR, PC_MODULES_IS | PC_MODULES_PA,
    { PC_ACTION_RETRY, PC_ACTION_RETRY, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
  },
  {
    "driver-error",
    N_("Driver Error"),
    N_("The tunnel interface cannot be started because its driver (the tun "
       "device) is missing or failed. Traffic goes through without protection "
       "(fail-open) unless your organization's profile enables fail-close."),
    PC_SEVERITY_ERROR, PC_MODULES_IS,
    { 0 },
    { PC_STEP_REPAIR_APP, PC_STEP_CONTACT_SUPPORT },
    {
      { 0, N_("Open More and, under Troubleshoot, click Repair App.") },
      { 0, N_("If the error persists, contact {support}.") },
    },
  },
  {
    "endpoint-fw-av-error",
    N_("Endpoint FW/AV Error"),
    N_("A firewall or security program on this device blocks Portcullis "
       "traffic. Traffic goes through without protection (fail-open) unless "
       "your organization's profile enables fail-close."),
    PC_SEVERITY_ERROR, PC_MODULES_IS,
    { 0 },
    { PC_STEP_CONTACT_ADMIN },
    {
      { 0, N_("Contact {support} about the changes this device's configuration needs.") },
      { 0, N_("For more information, contact {support}.") },
    },
  },
  {
    "fail-open",
    N_("Fail Open"),
    N_("This computer is running in rescue, emergency or single-user mode, so "
       "Portcullis lets traffic through without protection (fail-open)."),
    PC_SEVERITY_WARNING, PC_MODULES_IS,
    { 0 },
    { PC_STEP_RESTART_NORMALLY },
    { { 0, N_("Restart the computer normally, without rescue mode.") } },
  },
  {
    "fail-close",
    N_("Fail Close <reason>"),
    N_("The tunnel interface cannot be started (a driver or a firewall or "
       "antivirus problem, for example) and your organization's profile blocks "
       "traffic rather than letting it through unprotected (fail-close)."),
    PC_SEVERITY_ERROR, PC_MODULES_IS,
    { PC_ACTION_RETRY, 0, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
  },
  {
    "internal-error",
    N_("Internal Error"),
    N_("Portcullis found a problem with its own local socket."),
    PC_SEVERITY_ERROR, PC_MODULES_IS,
    { PC_ACTION_RETRY, 0, 0 },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
  },
  {
    "installation-error",
    N_("Installation Error"),
    N_("A network error occurred while registering with the Digital "
       "Experience server."),
    PC_SEVERITY_ERROR, PC_MODULES_DX,
    { 0, 0, PC_ACTION_RETRY },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
  },
  {
    "network-error",
    N_("Network Error"),
    N_("No network interface is available."),
    PC_SEVERITY_ERROR, PC_MODULES_ALL,
    { PC_ACTION_RETRY, PC_ACTION_RETRY, PC_ACTION_RETRY },
    { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
  },
  {
    "safe-mode",
    N_("Safe Mode"),
    N_("The secure internet service is down. Only the critical resources your "
       "organization has chosen can be reached."),
    PC_SEVERITY_WARNING, PC_MODULES_IS,
    { 0 },
    { PC_STEP_END },
    { { 0, N_("No action is needed: normal service returns by itself.") } },
  },
  {
    "server-error",
    N_("Server Error"),
    N_("Portcullis cannot connect to the Digital Experience cloud."),
    PC_SEVERITY_ERROR, PC_MODULES_DX,
    { 0, 0, PC_ACTION_RETRY },
    { PC_STEP_CHECK_NETWORK, PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
    {
      { 0, N_("Check that your network connection works.") },
      { 0, RETRY_STEP },
      { 0, RESTART_STEP },
      { 0, SUPPORT_STEP },
    },
  },
  {
    "untrusted-root-cert",
    N_("Untrusted Root Cert"),
    N_("The root certificate of the Private Access service edge cannot be "
       "validated."),
    PC_SEVERITY_ERROR, PC_MODULES_PA,
    { 0 },
    { PC_STEP_CONTACT_SUPPORT },
    { { 0, N_("Contact {support}.") } },
  },
};

/* What a code from a newer service shows: its code and a Retry button. */
static const PcStatusInfo unknown_info = {
  NULL,
  N_("Unknown Error"),
  N_("The service reported a problem this version of Portcullis does not know."),
  PC_SEVERITY_ERROR, PC_MODULES_ALL,
  { PC_ACTION_RETRY, PC_ACTION_RETRY, PC_ACTION_RETRY },
  { PC_STEP_RESTART_SERVICE, PC_STEP_CONTACT_SUPPORT },
  { { 0, RETRY_STEP }, { 0, RESTART_STEP }, { 0, SUPPORT_STEP } },
};

static const char * const module_names[PC_N_MODULES] = {
  "internet_security",
  "private_access",
  "digital_experience",
};

static const char * const module_titles[PC_N_MODULES] = {
  N_("Internet Security"),
  N_("Private Access"),
  N_("Digital Experience"),
};

const PcStatusInfo *
pc_catalog_get_all (gsize *n_entries)
{
  g_return_val_if_fail (n_entries != NULL, NULL);

  *n_entries = G_N_ELEMENTS (catalog);
  return catalog;
}

const PcStatusInfo *
pc_catalog_lookup (const char *code)
{
  if (code == NULL || *code == '\0')
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (catalog); i++)
    if (g_str_equal (catalog[i].code, code))
      return &catalog[i];

  return NULL;
}

const PcStatusInfo *
pc_catalog_lookup_or_unknown (const char *code)
{
  const PcStatusInfo *info = pc_catalog_lookup (code);

  return info != NULL ? info : &unknown_info;
}

gboolean
pc_catalog_is_known (const char *code)
{
  return pc_catalog_lookup (code) != NULL;
}

char *
pc_catalog_dup_title (const char *code,
                      const char *detail)
{
  const PcStatusInfo *info = pc_catalog_lookup (code);

  if (info == NULL)
    /* Translators: %s is a status code such as "tunnel-quota-error" */
    return g_strdup_printf (_("Unknown Error (%s)"), code ? code : "");

  if (g_str_equal (info->code, "fail-close"))
    {
      if (detail != NULL && *detail != '\0')
        /* Translators: %s is the reason, such as "Driver Error" */
        return g_strdup_printf (_("Fail Close (%s)"), detail);
      return g_strdup (_("Fail Close"));
    }

  return g_strdup (_(info->title));
}

char *
pc_catalog_dup_explanation (const char *code)
{
  return g_strdup (_(pc_catalog_lookup_or_unknown (code)->explanation));
}

GStrv
pc_catalog_dup_guidance (const char   *code,
                         PcModuleKind  kind,
                         const char   *support_contact)
{
  const PcStatusInfo *info = pc_catalog_lookup_or_unknown (code);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *contact;

  g_return_val_if_fail (kind < PC_N_MODULES, NULL);

  contact = (support_contact != NULL && *support_contact != '\0')
            ? support_contact : _("your IT support");

  for (guint i = 0; i < PC_MAX_GUIDANCE && info->guidance[i].text != NULL; i++)
    {
      const PcGuidanceStep *step = &info->guidance[i];
      g_autoptr(GString) text = NULL;

      if (step->modules != 0 && !(step->modules & PC_MODULE_MASK (kind)))
        continue;

      text = g_string_new (_(step->text));
      g_string_replace (text, "{support}", contact, 0);
      g_strv_builder_add (builder, text->str);
    }

  return g_strv_builder_end (builder);
}

PcActions
pc_catalog_get_actions (const char   *code,
                        PcModuleKind  kind)
{
  g_return_val_if_fail (kind < PC_N_MODULES, PC_ACTION_NONE);

  return pc_catalog_lookup_or_unknown (code)->actions[kind];
}

const PcEscalation *
pc_catalog_get_escalation (const char *code)
{
  return pc_catalog_lookup_or_unknown (code)->escalation;
}

const char *
pc_escalation_get_label (PcEscalation step)
{
  switch (step)
    {
    case PC_STEP_RESTART_SERVICE:  return _("Restart Service");
    case PC_STEP_REPAIR_APP:       return _("Repair App");
    case PC_STEP_LOG_OUT_AND_IN:   return _("Log Out and In Again");
    case PC_STEP_CHECK_NETWORK:    return _("Check Network Connection");
    case PC_STEP_CONTACT_SUPPORT:  return _("Contact Support");
    case PC_STEP_CONTACT_ADMIN:    return _("Contact Administrator");
    case PC_STEP_RESTART_NORMALLY: return _("Restart Without Rescue Mode");
    case PC_STEP_END:
    default:
      return NULL;
    }
}

const char *
pc_module_kind_to_string (PcModuleKind kind)
{
  g_return_val_if_fail (kind < PC_N_MODULES, NULL);

  return module_names[kind];
}

gboolean
pc_module_kind_from_string (const char   *name,
                            PcModuleKind *kind)
{
  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < PC_N_MODULES; i++)
    if (g_str_equal (name, module_names[i]))
      {
        if (kind != NULL)
          *kind = i;
        return TRUE;
      }

  return FALSE;
}

const char *
pc_module_kind_get_title (PcModuleKind kind)
{
  g_return_val_if_fail (kind < PC_N_MODULES, NULL);

  return _(module_titles[kind]);
}

PcSeverity
pc_status_get_severity (const char *status,
                        const char *error)
{
  if (error != NULL && *error != '\0')
    return pc_catalog_lookup_or_unknown (error)->severity;

  if (g_strcmp0 (status, "on") == 0)
    return PC_SEVERITY_OK;
  if (g_strcmp0 (status, "connecting") == 0)
    return PC_SEVERITY_CONNECTING;
  if (g_strcmp0 (status, "off") == 0 || g_strcmp0 (status, "disabled") == 0)
    return PC_SEVERITY_OFF;

  /* "error" without a code, or a status from a newer service */
  return PC_SEVERITY_ERROR;
}

char *
pc_status_dup_title (const char *status,
                     const char *error,
                     const char *detail)
{
  if (error != NULL && *error != '\0')
    return pc_catalog_dup_title (error, detail);

  if (g_strcmp0 (status, "on") == 0)
    return g_strdup (_("On"));
  if (g_strcmp0 (status, "connecting") == 0)
    return g_strdup (_("Connecting…"));
  if (g_strcmp0 (status, "off") == 0)
    return g_strdup (_("Off"));
  if (g_strcmp0 (status, "disabled") == 0)
    return g_strdup (_("Turned Off"));

  return pc_catalog_dup_title (status, detail);
}

const char *
pc_severity_get_icon_name (PcSeverity severity)
{
  switch (severity)
    {
    case PC_SEVERITY_OK:          return "io.github.Portcullis-on-symbolic";
    case PC_SEVERITY_OFF:         return "io.github.Portcullis-off-symbolic";
    case PC_SEVERITY_CONNECTING:  return "io.github.Portcullis-connecting-symbolic";
    case PC_SEVERITY_WARNING:     return "io.github.Portcullis-warning-symbolic";
    case PC_SEVERITY_ERROR:       return "io.github.Portcullis-error-symbolic";
    case PC_SEVERITY_UNAVAILABLE:
    default:
      return "io.github.Portcullis-unavailable-symbolic";
    }
}

const char *
pc_severity_to_string (PcSeverity severity)
{
  switch (severity)
    {
    case PC_SEVERITY_OK:          return "ok";
    case PC_SEVERITY_OFF:         return "off";
    case PC_SEVERITY_CONNECTING:  return "connecting";
    case PC_SEVERITY_WARNING:     return "warning";
    case PC_SEVERITY_ERROR:       return "error";
    case PC_SEVERITY_UNAVAILABLE:
    default:
      return "unavailable";
    }
}
