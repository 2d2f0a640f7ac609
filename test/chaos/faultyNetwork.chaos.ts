import { describeFaultyNetwork, usePds } from "./suites";

describeFaultyNetwork(usePds(), 500);
