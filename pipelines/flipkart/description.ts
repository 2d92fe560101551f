/**
 * Description cleaning, as the original did with spaCy: lower-case, lemmatise, keep the lemmas of
 * alphabetic tokens that are not stop words, each lemma once in first-occurrence order, joined
 * with single spaces.
 *
 * NLP: wink-nlp with wink-eng-lite-web-model, whose model ships inside its npm package (nothing is
 * downloaded at run time). Lemmas come from its part-of-speech tagger (the "pos" pipe; NER and
 * negation are not loaded), so "women's" gives "woman" and "Bellies" "belly". The model is loaded
 * once per worker process (about 0.3 s), on first use.
 *
 * Differences from spaCy's en_core_web_sm, which cannot run here: wink's stop-word list is its own
 * (e.g. spaCy also drops "front", "side", "used", "made", "please"), and wink splits tokens on `_`
 * (`altht_3p_21` → "altht", "p") where spaCy keeps one non-alphabetic token. See the README.
 */
import winkNLP, { type ItemToken, type WinkMethods } from "wink-nlp";
import model from "wink-eng-lite-web-model";

let nlp: WinkMethods | undefined;

/** The per-process NLP instance (created on first use). */
function instance(): WinkMethods {
  nlp ??= winkNLP(model, ["pos"]);
  return nlp;
}

/** Loads the model now (DoFn.setup), so the first element does not pay for it. */
export function loadDescriptionModel(): void {
  instance();
}

const ALPHABETIC = /^\p{L}+$/u;

/** The cleaned description: unique lemmas of alphabetic non-stop-word tokens, in order. */
export function cleanDescription(description: string): string {
  if (description.trim() === "") return "";
  const n = instance();
  const its = n.its;
  const seen = new Set<string>();
  const out: string[] = [];
  n.readDoc(description.toLowerCase())
    .tokens()
    .each((t: ItemToken) => {
      if (t.out(its.stopWordFlag) === true) return;
      if (!ALPHABETIC.test(t.out())) return;
      // wink's typings declare `its.lemma` with the model add-ons parameter `out` does pass.
      const lemma = t.out(its.lemma as unknown as typeof its.value) as string;
      if (seen.has(lemma)) return;
      seen.add(lemma);
      out.push(lemma);
    });
  return out.join(" ");
}
