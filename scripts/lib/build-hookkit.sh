# Sourced by the in-process benchmarks: builds HookKit's library targets with swiftc directly
# (-O, whole module) into static libraries in $1, exactly as a client links them through
# `import HookKit` (public and package API across the module boundary), so Package.swift keeps no
# benchmark product. Afterwards: swiftc -I "$1" -L "$1" -lHookKit -lHookKitSystem main.swift
build_hookkit() {
    local out=$1
    mkdir -p "$out"
    swiftc -O -wmo -parse-as-library -module-name HookKitSystem -package-name HookKit \
        -emit-module -emit-module-path "$out/HookKitSystem.swiftmodule" \
        -emit-library -static -o "$out/libHookKitSystem.a" $(find Sources/HookKitSystem -name '*.swift' | sort)
    swiftc -O -wmo -parse-as-library -module-name HookKit -package-name HookKit -I "$out" \
        -emit-module -emit-module-path "$out/HookKit.swiftmodule" \
        -emit-library -static -o "$out/libHookKit.a" $(find Sources/HookKit -name '*.swift' | sort)
}
