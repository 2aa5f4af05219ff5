package org.unmask.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.views.LossCurveSvg.Point;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StudyPartsTest {
    @TempDir Path tmp;

    @Test void aBertTokenizerSeparatesTheStudyDocumentsWithSep() throws IOException {
        // the init study's encoder arm tokenizes the corpus with the encoder's WordPiece, which has [SEP], not EOS
        Path wordPiece = Path.of("src/test/resources/bert/bert/tokenizer.json");
        StudyData data = StudyData.load(wordPiece);
        int sep = data.tokenizer().tokenId(org.unmask.text.SpecialTokens.SEP).orElseThrow();
        int[] ids = new int[20_000];
        data.train(ids.length).copy(0, ids, 0, ids.length);
        long seps = java.util.Arrays.stream(ids).filter(id -> id == sep).count();
        assertThat(seps).as("documents of the shuffled corpus end with [SEP]").isGreaterThan(1);
        assertThat(data.tokenizer().tokenId(org.unmask.text.SpecialTokens.EOS)).isEmpty();
    }

    @Test void spreadIsMeanWithRangeAndIgnoresNaN() {
        Spread s = Spread.of(1.0, 2.0, Double.NaN, 6.0);
        assertThat(s.mean()).isEqualTo(3.0);
        assertThat(s.format(1)).isEqualTo("3.0 (1.0–6.0)");
        assertThat(Spread.of(2.5).format(2)).isEqualTo("2.50");
        assertThat(Spread.of(Double.NaN).format(2)).isEqualTo("n/a");
    }

    @Test void crossoverIsWhereOneCurveStaysBelowTheOther() {
        List<Point> ar = List.of(new Point(1, 5), new Point(2, 4), new Point(3, 4.5), new Point(4, 5));
        List<Point> diff = List.of(new Point(1, 6), new Point(2, 3.9), new Point(3, 4.6), new Point(4, 4.4));
        // below at 2, above at 3, below again at 4: the crossover that holds is at 4
        assertThat(Curves.belowFrom(diff, ar)).isEqualTo(4);
        assertThat(Curves.belowFrom(ar, diff)).isNaN();
        assertThat(Curves.min(ar)).isEqualTo(4);
        assertThat(Curves.argmin(diff)).isEqualTo(2);
    }

    @Test void tableEscapesPipesAndChecksItsWidth() {
        Table t = new Table("a", "b").row("x|y", 2);
        assertThat(t.markdown()).isEqualTo("| a | b |\n|---|---:|\n| x\\|y | 2 |\n");
        assertThatThrownBy(() -> t.row("only one")).hasMessageContaining("1 cells for 2 columns");
    }

    @Test void ledgerReplacesRowsByKeyAndNamesABadLine() throws IOException {
        Ledger l = new Ledger(tmp);
        l.put("a", JsonNodeFactory.instance.objectNode().put("v", 1));
        l.put("b", JsonNodeFactory.instance.objectNode().put("v", 2));
        l.put("a", JsonNodeFactory.instance.objectNode().put("v", 3));
        Ledger again = new Ledger(tmp);
        assertThat(again.get("a").orElseThrow().get("v").asInt()).isEqualTo(3);
        assertThat(Files.readAllLines(tmp.resolve(Ledger.FILE))).hasSize(2);
        Files.writeString(tmp.resolve(Ledger.FILE), "{\"key\":\"a\"}\nnot json\n");
        assertThatThrownBy(() -> new Ledger(tmp)).hasMessageContaining(Ledger.FILE + " line 2: not JSON");
        Files.writeString(tmp.resolve(Ledger.FILE), "[1]\n");
        assertThatThrownBy(() -> new Ledger(tmp)).hasMessageContaining("line 1: expected an object with a \"key\" field");
    }

    @Test void reversalFactsHaveDistinctLinesInTheTrainedOrder() {
        ReversalStudy.Task t = ReversalStudy.Task.generate(8, 2, 12);
        Set<List<Integer>> lines = new HashSet<>();
        for (int j = 0; j < 12; j++) {
            int[] f = t.fact(j);
            assertThat(f).hasSize(7);
            assertThat(f[0]).isEqualTo(ReversalStudy.BOS);
            assertThat(f[3]).isEqualTo(ReversalStudy.SEP);
            assertThat(f[6]).isEqualTo(ReversalStudy.EOS);
            assertThat(new int[] {f[1], f[2]}).isEqualTo(t.a().get(j));
            assertThat(new int[] {f[4], f[5]}).isEqualTo(t.b().get(j));
            for (int i : new int[] {1, 2, 4, 5}) assertThat(f[i]).isBetween(ReversalStudy.FIRST_WORD, ReversalStudy.FIRST_WORD + 7);
            lines.add(List.of(f[1], f[2]));
            lines.add(List.of(f[4], f[5]));
        }
        assertThat(lines).hasSize(24);
        assertThat(t.data().train().size()).isEqualTo(12 * 7);
    }
}
