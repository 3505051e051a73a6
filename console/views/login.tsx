/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The login form: a bearer token in, a session cookie out. */

export function LoginPage({ next, error }: { next: string; error?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Log in · Interlock</title>
        <link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/console/static/console.css" />
      </head>
      <body class="login">
        <main id="main">
          <h1>Interlock console</h1>
          <form method="post" action="/console/login" class="login-form">
            <input type="hidden" name="next" value={next} />
            <label for="token">Operator token</label>
            <input
              id="token"
              name="token"
              type="password"
              autocomplete="current-password"
              required
              maxlength={200}
              aria-describedby="token-help"
            />
            <p id="token-help" class="help">
              An operator, admin or auditor token (
              <code>interlock token create --role operator</code>). Agent tokens cannot log in.
            </p>
            {error ? (
              <p class="field-error" role="alert" id="login-error">
                {error}
              </p>
            ) : null}
            <button type="submit" class="btn-primary">
              Log in
            </button>
          </form>
        </main>
      </body>
    </html>
  );
}
