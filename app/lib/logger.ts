import pino from "pino";

/** One pino root; modules take named children. Secrets never reach the output. */
export const rootLogger = pino({
  level: "info",
  redact: {
    paths: [
      "password",
      "appPassword",
      "accessJwt",
      "refreshJwt",
      "token",
      "*.password",
      "*.appPassword",
      "*.accessJwt",
      "*.refreshJwt",
      "*.token",
      "req.headers.authorization",
      "req.headers.cookie",
    ],
    censor: "[redacted]",
  },
});

export type Logger = pino.Logger;

export function logger(name: string): Logger {
  return rootLogger.child({ name });
}

/** Called once at start-up with the validated config's level. */
export function setLogLevel(level: string): void {
  rootLogger.level = level;
}
