package org.unmask.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Repository references, globs, the environment, ETags and the progress lines. */
class HubNamesTest {

    @Test void referencesParseWithTheDefaultBranchAndRefuseWhatTheHubRefuses() {
        assertThat(RepoRef.parse("GSAI-ML/LLaDA-8B-Instruct")).contains(new RepoRef("GSAI-ML/LLaDA-8B-Instruct", "main"));
        assertThat(RepoRef.parse("org/m_1.5@refs/pr/3")).contains(new RepoRef("org/m_1.5", "refs/pr/3"));
        assertThat(RepoRef.of("a/b@" + "0".repeat(40)).isCommit()).isTrue();
        assertThat(RepoRef.of("a/b@v1").isCommit()).isFalse();
        assertThat(RepoRef.of("GSAI-ML/LLaDA-8B-Base").cacheFolderName()).isEqualTo("models--GSAI-ML--LLaDA-8B-Base");
        for (String bad : List.of("gpt2", "a/b/c", "a b/c", "a--b/c", "a/..", "a/b@", "a/b@../x", "a/b@/x", "/a/b", "a/b@x//y")) {
            assertThat(RepoRef.parse(bad)).as(bad).isEmpty();
        }
        assertThatThrownBy(() -> RepoRef.of("runs")).hasMessageContaining("ORG/NAME");
    }

    @Test void aStringIsAHubReferenceOnlyWhenItIsNoExistingPath(@TempDir Path tmp) throws IOException {
        Path local = Files.createDirectories(tmp.resolve("org/model"));
        assertThat(Hub.reference(local.toString())).isEmpty();
        assertThat(Hub.reference("org/model")).contains(new RepoRef("org/model", "main"));
        assertThat(Hub.reference("models/tiny.dir")).isPresent();
        assertThat(Hub.reference("./runs/tiny")).isEmpty();
        assertThat(Hub.resolve(local)).isEqualTo(local);
        assertThat(Hub.resolve("./runs/tiny")).isEqualTo(Path.of("./runs/tiny"));
    }

    @Test void globsFollowFnmatch() {
        assertThat(RepoFilter.Glob.matches("*.json", "sub/dir/x.json")).isTrue();   // * crosses folders
        assertThat(RepoFilter.Glob.matches("*.json", "x.json.bak")).isFalse();
        assertThat(RepoFilter.Glob.matches("model-?????-of-*.safetensors", "model-00001-of-00004.safetensors")).isTrue();
        assertThat(RepoFilter.Glob.matches("[!t]*", "tokenizer.json")).isFalse();
        assertThat(RepoFilter.Glob.matches("[!t]*", "config.json")).isTrue();
        assertThat(RepoFilter.Glob.matches("[a-c]onfig.json", "config.json")).isTrue();
        assertThat(RepoFilter.Glob.matches("[]]x", "]x")).isTrue();
        assertThat(RepoFilter.Glob.matches("a[b", "a[b")).isTrue();   // an unclosed [ is literal
        assertThat(RepoFilter.Glob.matches("a.(b)+", "a.(b)+")).isTrue();
        assertThat(RepoFilter.Glob.matches("original/", "original/params.json")).isTrue();
        RepoFilter f = new RepoFilter(List.of("*.safetensors", "*.json"), List.of("*.index.json"));
        assertThat(f.accepts("model.safetensors")).isTrue();
        assertThat(f.accepts("model.safetensors.index.json")).isFalse();
        assertThat(f.accepts("README.md")).isFalse();
        assertThat(RepoFilter.MODEL.accepts("pytorch_model.bin")).isFalse();
        assertThat(RepoFilter.MODEL.accepts("model-00001-of-00002.safetensors")).isTrue();
        assertThat(RepoFilter.MODEL.accepts("tokenizer_config.json")).isTrue();
    }

    @Test void settingsComeFromTheSameVariablesAsHuggingfaceHub(@TempDir Path home) throws IOException {
        HubSettings d = HubSettings.fromEnvironment(Map.of(), home);
        assertThat(d.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(d.cache()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(d.token()).isEmpty();
        assertThat(d.offline()).isFalse();

        HubSettings hfHome = HubSettings.fromEnvironment(Map.of("HF_HOME", "/data/hf", "HF_ENDPOINT", "https://hf-mirror.com/",
                "HF_HUB_OFFLINE", "1", "HF_TOKEN", " hf_abc\n"), home);
        assertThat(hfHome.cache()).isEqualTo(Path.of("/data/hf/hub"));
        assertThat(hfHome.endpoint()).isEqualTo(URI.create("https://hf-mirror.com"));
        assertThat(hfHome.offline()).isTrue();
        assertThat(hfHome.token()).contains("hf_abc");
        assertThat(hfHome.toString()).doesNotContain("hf_abc");

        assertThat(HubSettings.fromEnvironment(Map.of("HF_HOME", "/data/hf", "HF_HUB_CACHE", "/fast/cache"), home).cache())
                .isEqualTo(Path.of("/fast/cache"));
        assertThat(HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/xdg"), home).cache()).isEqualTo(Path.of("/xdg/huggingface/hub"));
        assertThat(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home).offline()).isFalse();
        assertThat(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "TRUE"), home).offline()).isTrue();

        // the token file `huggingface-cli login` writes
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_from_file\n");
        assertThat(HubSettings.fromEnvironment(Map.of(), home).token()).contains("hf_from_file");
        assertThat(HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_env"), home).token()).contains("hf_env");
        assertThatThrownBy(() -> HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "huggingface.co"), home))
                .hasMessageContaining("HF_ENDPOINT 'huggingface.co' is not an http(s) URL");
    }

    @Test void etagsLoseTheirWeakMarkerAndQuotes() {
        assertThat(FileMetadata.normalizeEtag("W/\"abc\"")).isEqualTo("abc");
        assertThat(FileMetadata.normalizeEtag("\"abc\"")).isEqualTo("abc");
        assertThat(FileMetadata.normalizeEtag("abc")).isEqualTo("abc");
    }

    @Test void progressLinesShowSizeSpeedAndEta() {
        List<String> lines = new ArrayList<>();
        DownloadProgress p = new DownloadProgress.Lines(lines::add, 0);
        p.start("org/model", 2_000_000, 500_000);
        p.advance(500_000);
        p.close();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(2);
        assertThat(lines.getFirst()).matches("org/model: 1\\.0 MB of 2\\.0 MB \\(50%\\), [0-9.]+ [kMG]?B/s, ETA .*");
        assertThat(DownloadProgress.bytes(16_060_000_000L)).isEqualTo("16 GB");
        assertThat(DownloadProgress.duration(185)).isEqualTo("3 min 5 s");
    }

    @Test void onlyTheRightSnapshotsCountAsModels(@TempDir Path dir) throws IOException {
        assertThat(ModelFiles.missing(dir)).contains("config.json");
        Files.writeString(dir.resolve("config.json"), "{}");
        assertThat(ModelFiles.missing(dir)).get().asString().startsWith("model.safetensors");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a\": \"model-1.safetensors\", \"b\": \"model-2.safetensors\"}}");
        Files.writeString(dir.resolve("model-1.safetensors"), "");
        assertThat(ModelFiles.missing(dir)).contains("model-2.safetensors");
        Files.writeString(dir.resolve("model-2.safetensors"), "");
        assertThat(ModelFiles.missing(dir)).isEmpty();
    }

    @Test void settingsNeverPrintTheToken() {
        HubSettings s = new HubSettings(URI.create("https://huggingface.co/"), Optional.of("hf_secret"), Path.of("/c"), false);
        assertThat(s.endpoint().toString()).isEqualTo("https://huggingface.co");
        assertThat(s.toString()).doesNotContain("hf_secret").contains("token=set");
    }
}
