/** The conformance suite against the kinds available on this machine. */
import { MEMKIND_DEFAULT, MEMKIND_REGULAR } from "../../src/c.js";
import { conformanceSuite } from "../helpers/conformance.js";

conformanceSuite(MEMKIND_DEFAULT);
conformanceSuite(MEMKIND_REGULAR);
