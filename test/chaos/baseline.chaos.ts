import { describeBaseline, usePds } from "./suites";

describeBaseline(usePds(), 500);
