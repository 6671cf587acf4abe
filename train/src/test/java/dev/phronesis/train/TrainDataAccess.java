package dev.phronesis.train;

import java.util.ArrayList;
import java.util.List;

/** Builds {@link TrainData} from explicit rows for tests (through the SFT path's packing-free constructor). */
final class TrainDataAccess {
    private TrainDataAccess() {}

    static TrainData of(int[][] rows, boolean[][] masks) {
        return TrainData.of(List.of(rows), List.of(masks));
    }
}
