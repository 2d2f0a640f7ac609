import { describePostgresRestart, usePds } from "./suites";

describePostgresRestart(usePds(), 500);
