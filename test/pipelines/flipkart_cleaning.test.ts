/** The Flipkart cleaning steps on their own: attributes, categories, image URLs, descriptions. */
import { strict as assert } from "node:assert";
import { attributesOf, parseRubyLiteral, pythonJsonObject, specificationPairs } from "../../pipelines/flipkart/attributes";
import { categoryColumns, categoryLevels, imageUrls } from "../../pipelines/flipkart/categories";
import { cleanDescription } from "../../pipelines/flipkart/description";

describe("pipelines/flipkart: cleaning steps", () => {
  it("parses specifications: lists, a single entry without brackets, key-less entries dropped, escapes, nil", () => {
    assert.equal(
      attributesOf('{"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton"}, {"value"=>"3 shorts"}, {"key"=>"Ideal For", "value"=>"Women\'s"}]}').json,
      '{"Fabric": "Cotton", "Ideal For": "Women\'s"}',
    );
    assert.equal(attributesOf('{"product_specification"=>{"key"=>"Body Material", "value"=>"croco leather"}}').json, '{"Body Material": "croco leather"}');
    // Quotes, brackets and => inside values do not confuse the parser.
    assert.equal(
      attributesOf('{"product_specification"=>[{"key"=>"Size", "value"=>"10\\" x 12\\" [inch] => {big}"}, {"key"=>"Path", "value"=>"C:\\\\dir"}]}').json,
      '{"Size": "10\\" x 12\\" [inch] => {big}", "Path": "C:\\\\dir"}',
    );
    assert.deepEqual([...specificationPairs('{"product_specification"=>[{"key"=>"\\u00e9t\\u{e9} \\n", "value"=>nil}, {"key"=>"k", "value"=>"v"}]}')], [["k", "v"]]);
    assert.equal(attributesOf("").json, "{}");
    assert.equal(attributesOf('{"product_specification"=>nil}').json, "{}");
    assert.equal(attributesOf('{"product_specification"=>[]}').json, "{}");
    assert.deepEqual(parseRubyLiteral('{"a"=>[1, -2.5, true, false, nil], "b"=>{}}'), new Map<string, unknown>([["a", [1, -2.5, true, false, null]], ["b", new Map()]]) as never);
  });

  it("reports unparseable specifications (the pipeline then writes {} and counts a warning)", () => {
    for (const bad of ['{"product_specification"=>[{"key"=>"A", ', '{"product_specification"=>[{"key"=>"A" "value"=>"B"}]}', "[1, 2", "not ruby", '{"a"=>"b"} trailing']) {
      const r = attributesOf(bad);
      assert.equal(r.json, "{}", bad);
      assert.ok(r.error !== undefined && /at character \d+/.test(r.error), `${bad}: ${r.error}`);
    }
  });

  it("formats attributes like Python's json.dumps: ', ' and ': ', non-ASCII escaped, a repeated key keeps its first place and last value", () => {
    assert.equal(pythonJsonObject(new Map([["Größe", "10 ½ \u{1F600}"], ["b", 'q"\n\u007f']])), '{"Gr\\u00f6\\u00dfe": "10 \\u00bd \\ud83d\\ude00", "b": "q\\"\\n\u007f"}');
    assert.equal(attributesOf('{"product_specification"=>[{"key"=>"3", "value"=>"a"}, {"key"=>"1", "value"=>"b"}, {"key"=>"3", "value"=>"c"}]}').json, '{"3": "c", "1": "b"}');
  });

  it("splits category trees into levels (JSON-decoded, trimmed); columns c0_name.. for the deepest tree", () => {
    assert.deepEqual(categoryLevels('["Clothing >> Women\'s Clothing >>  Shorts "]'), ["Clothing", "Women's Clothing", "Shorts"]);
    assert.deepEqual(categoryLevels('["Pens >> Tiara Diaries LA Kaarta \\"TAKI..."]'), ["Pens", 'Tiara Diaries LA Kaarta "TAKI...']);
    assert.deepEqual(categoryLevels('["Eternal Gandhi Super Series Crystal Paper Weight..."]'), ["Eternal Gandhi Super Series Crystal Paper Weight..."]);
    assert.deepEqual(categoryLevels('["Pet Supplies >> Grooming > Skin & Coat Care"]'), ["Pet Supplies", "Grooming > Skin & Coat Care"]);
    assert.deepEqual(categoryLevels('["A >> B", "C >> D"]'), ["A", "B, C", "D"], "several trees: joined with ', ' as the original's bracket stripping did");
    assert.deepEqual(categoryLevels("[A >> B"), ["A", "B"], "not JSON: the original's rule (drop [ ] and quotes)");
    assert.deepEqual(categoryLevels(""), []);
    assert.deepEqual(categoryLevels("[]"), []);
    assert.deepEqual(categoryColumns(3), ["c0_name", "c1_name", "c2_name"]);
    assert.deepEqual(categoryColumns(0), ["c0_name"]);
  });

  it("lists image URLs in order", () => {
    assert.deepEqual(imageUrls('["http://a/1.jpeg", "http://b/2.jpeg"]'), ["http://a/1.jpeg", "http://b/2.jpeg"]);
    assert.deepEqual(imageUrls("[http://a/1.jpeg, http://b/2.jpeg]"), ["http://a/1.jpeg", "http://b/2.jpeg"]);
    assert.deepEqual(imageUrls(""), []);
    assert.deepEqual(imageUrls("[]"), []);
  });

  it("cleans descriptions: lower-cased lemmas of alphabetic non-stop words, each once, in order", () => {
    assert.equal(
      cleanDescription("Key Features of Alisha Solid Women's Cycling Shorts Cotton Lycra Navy, Red, Navy, Pack of 3 shorts"),
      "key feature alisha solid woman cycling short cotton lycra navy red pack",
    );
    assert.equal(cleanDescription("The Bellies are RED. Bellies, bellies!"), "belly red");
    assert.equal(cleanDescription("Price 499 100% 3.5 -- @@ x2"), "price");
    assert.equal(cleanDescription(""), "");
    assert.equal(cleanDescription("   "), "");
  });
});
